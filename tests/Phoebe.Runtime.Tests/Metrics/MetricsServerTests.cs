using System.Net;
using System.Net.Sockets;
using Phoebe.Runtime.Metrics;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Metrics;

/// <summary>The /metrics HTTP server on loopback, and <c>phoebe observe --metrics</c>'s argument and port errors.</summary>
public sealed class MetricsServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Serves_metrics_to_concurrent_scrapes_and_404_elsewhere()
    {
        int renders = 0;
        using var server = MetricsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), () =>
        {
            Interlocked.Increment(ref renders);
            Thread.Sleep(50); // overlapping scrapes
            return "phoebe_observe_intervals_total 1\n";
        });
        Assert.Equal(IPAddress.Loopback, server.Endpoint.Address);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        string url = $"http://127.0.0.1:{server.Endpoint.Port}";

        var scrapes = Enumerable.Range(0, 16).Select(_ => http.GetAsync(url + "/metrics")).ToArray();
        foreach (var response in await Task.WhenAll(scrapes))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var type = response.Content.Headers.ContentType!;
            Assert.Equal("text/plain", type.MediaType);
            Assert.Equal("utf-8", type.CharSet);
            Assert.Contains(type.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
            Assert.Equal("phoebe_observe_intervals_total 1\n", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(16, renders);

        var missing = await http.GetAsync(url + "/");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url + "/metricsx")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(url + "/metrics", new StringContent(""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "/metrics?x=1")).StatusCode);
    }

    [Fact]
    public void A_taken_port_throws()
    {
        using var first = MetricsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), () => "");
        Assert.Throws<SocketException>(() => MetricsServer.Start(first.Endpoint, () => ""));
    }

    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1", 9464)]
    [InlineData("localhost:80", "127.0.0.1", 80)]
    [InlineData("[::1]:9464", "::1", 9464)]
    [InlineData("0.0.0.0:65535", "0.0.0.0", 65535)]
    public void Parses_host_and_port(string text, string address, int port)
    {
        var endpoint = MetricsServer.ParseEndpoint(text, out string error);
        Assert.True(endpoint != null, error);
        Assert.Equal(IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("9464")]
    [InlineData(":9464")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:+80")]
    [InlineData("127.1:80")]
    [InlineData("example.com:80")]
    [InlineData("::1:80")]
    public void Rejects_malformed_host_port(string text)
    {
        Assert.Null(MetricsServer.ParseEndpoint(text, out string error));
        Assert.Contains("--metrics", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_with_a_malformed_address_is_a_usage_error()
    {
        var result = PhoebeCli.Run(["observe", "--metrics", "nowhere", "--", "true"], timeout: Timeout);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("phoebe: --metrics needs HOST:PORT", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_on_a_taken_port_fails_with_125_before_running_the_command()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var scratch = new ScratchDirectory();
        string marker = scratch.File("ran");
        var result = PhoebeCli.Run(["observe", "--metrics", $"127.0.0.1:{port}", "--", "touch", marker], timeout: Timeout);
        Assert.True(result.ExitCode == 125, result.ToString());
        Assert.Contains($"phoebe: cannot serve metrics on 127.0.0.1:{port}", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }
}
