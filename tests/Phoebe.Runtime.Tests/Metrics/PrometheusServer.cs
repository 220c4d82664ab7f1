using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Metrics;

/// <summary>
/// A real Prometheus server for the scrape tests: Debian's <c>prometheus</c> package, started by the test on
/// loopback (not as a service) with a 1 s scrape interval on one target, and queried through its HTTP API.
/// </summary>
internal sealed class PrometheusServer : IDisposable
{
    private const string Binary = "/usr/bin/prometheus";
    private readonly RunningProcess process;
    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private PrometheusServer(RunningProcess process, int port)
    {
        this.process = process;
        Port = port;
    }

    /// <summary>The port of its HTTP API.</summary>
    public int Port { get; }

    /// <summary>What Prometheus printed so far (its log), for failure messages.</summary>
    public string Log => process.StderrSoFar;

    /// <summary>A port free on loopback right now.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Skips the test, saying why, when Prometheus is not installed.</summary>
    public static void Require()
    {
        if (!File.Exists(Binary)) Skip.Now($"{Binary} is missing: Debian's `prometheus` package could not be installed (tools/test.sh installs it)");
    }

    /// <summary>Starts Prometheus in <paramref name="scratch"/>, scraping <c>127.0.0.1:<paramref name="metricsPort"/>/metrics</c> every second.</summary>
    public static PrometheusServer Start(ScratchDirectory scratch, int metricsPort)
    {
        Require();
        int port = FreePort();
        File.WriteAllText(scratch.File("prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: phoebe
                scrape_interval: 1s
                scrape_timeout: 1s
                static_configs:
                  - targets: ['127.0.0.1:{metricsPort}']
            """);
        var process = RunningProcess.Start(new ProcessSpec(Binary, [
            $"--config.file={scratch.File("prometheus.yml")}",
            $"--storage.tsdb.path={scratch.File("data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ], scratch.Path));
        return new PrometheusServer(process, port);
    }

    /// <summary>The value of <paramref name="query"/>'s single sample, or null while Prometheus has none.</summary>
    public async Task<string?> QueryAsync(string query)
    {
        using var response = await http.GetAsync($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(query)}");
        if (!response.IsSuccessStatusCode) return null;
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var result = json.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 1 ? result[0].GetProperty("value")[1].GetString() : null;
    }

    /// <summary>Queries until there is a value (Prometheus is up and has scraped it); returns it, or null after <paramref name="wait"/>.</summary>
    public async Task<string?> WaitForAnyValueAsync(string query, TimeSpan wait)
    {
        for (var until = DateTime.UtcNow + wait; DateTime.UtcNow < until && !process.HasExited;)
        {
            try
            {
                if (await QueryAsync(query) is { } value) return value;
            }
            catch (HttpRequestException) { } // not listening yet
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        return null;
    }

    /// <summary>Queries until the value is <paramref name="expected"/>; returns the last value seen.</summary>
    public async Task<string?> WaitForValueAsync(string query, string expected, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        string? value = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                value = await QueryAsync(query);
                if (value == expected) return value;
            }
            catch (HttpRequestException) { } // not listening yet
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        return value;
    }

    /// <summary>Stops Prometheus.</summary>
    public void Dispose()
    {
        process.Dispose();
        http.Dispose();
    }
}
