using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Tests.Run;

using Phoebe.Runtime.Tests.Monitoring;

namespace Phoebe.Runtime.Tests.Metrics;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package, started by the test on loopback, not as a service)
/// scrapes <c>phoebe observe --metrics</c> on tests/targets/errloop every second; its HTTP API then reports
/// errloop's exact error counts.
/// </summary>
public sealed class PrometheusScrapeTests
{
    private const int SIGUSR1 = 10, SIGTERM = 15;
    private const string PrometheusBinary = "/usr/bin/prometheus";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ValueWait = TimeSpan.FromSeconds(20);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The value of <paramref name="query"/>'s single sample, or null while Prometheus has none.</summary>
    private static async Task<string?> QueryAsync(HttpClient http, int port, string query)
    {
        using var response = await http.GetAsync($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(query)}");
        if (!response.IsSuccessStatusCode) return null;
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var result = json.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 1 ? result[0].GetProperty("value")[1].GetString() : null;
    }

    /// <summary>Queries until the value is <paramref name="expected"/>; returns the last value seen.</summary>
    private static async Task<string?> WaitForValueAsync(HttpClient http, int port, string query, string expected, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        string? value = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                value = await QueryAsync(http, port, query);
                if (value == expected) return value;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(200);
        }
        return value;
    }

    [SkippableFact]
    public async Task Prometheus_scrapes_exact_error_counts_from_observe()
    {
        Ebpf.Require();
        if (!File.Exists(PrometheusBinary)) Skip.Now($"{PrometheusBinary} is missing: Debian's `prometheus` package could not be installed (tools/test.sh installs it)");
        const int N = 1234, M = 200, K = 56;
        using var scratch = new ScratchDirectory();
        int metricsPort = FreePort(), prometheusPort = FreePort();

        // errloop sleeps 60 s after its calls: Prometheus scrapes the final counts meanwhile; the test ends it.
        using var phoebe = PhoebeCli.Start(["observe", "--interval", "500ms", "--metrics", $"127.0.0.1:{metricsPort}", "-o", scratch.File("profile.yaml"), "--",
            TargetBuilder.Path("errloop"), "-s", "60000", N.ToString(CultureInfo.InvariantCulture), M.ToString(CultureInfo.InvariantCulture), K.ToString(CultureInfo.InvariantCulture)]);
        string ready = phoebe.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout);
        int pid = int.Parse(ready["ready ".Length..], CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + Timeout;
        while (!phoebe.StderrSoFar.Contains("phoebe: metrics at ", StringComparison.Ordinal))
        {
            Assert.False(phoebe.HasExited, "phoebe exited early:\n" + phoebe.StderrSoFar);
            Assert.True(DateTime.UtcNow < deadline, "phoebe did not start serving metrics:\n" + phoebe.StderrSoFar);
            Thread.Sleep(10);
        }

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
        using var prometheus = RunningProcess.Start(new ProcessSpec(PrometheusBinary, [
            $"--config.file={scratch.File("prometheus.yml")}",
            $"--storage.tsdb.path={scratch.File("data")}",
            $"--web.listen-address=127.0.0.1:{prometheusPort}",
        ], scratch.Path));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            // Prometheus is up and has scraped Phoebe once (the intervals counter exists) before errloop's calls.
            string? intervals = null;
            for (var until = DateTime.UtcNow + Timeout; intervals is null && DateTime.UtcNow < until && !prometheus.HasExited;)
            {
                try { intervals = await QueryAsync(http, prometheusPort, "phoebe_observe_intervals_total"); }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                if (intervals is null) await Task.Delay(200);
            }
            Assert.True(intervals != null, "Prometheus never scraped phoebe\n--- prometheus\n" + prometheus.StderrSoFar + "--- phoebe\n" + phoebe.StderrSoFar);

            Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
            string query = "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\"}";
            string? enoent = await WaitForValueAsync(http, prometheusPort, query, N.ToString(CultureInfo.InvariantCulture), ValueWait);
            Assert.True(enoent == N.ToString(CultureInfo.InvariantCulture),
                $"{query} = {enoent ?? "(none)"}, not {N}\n--- prometheus\n{prometheus.StderrSoFar}--- phoebe\n{phoebe.StderrSoFar}");
            Assert.Equal(K.ToString(CultureInfo.InvariantCulture),
                await WaitForValueAsync(http, prometheusPort, "phoebe_syscall_errors_total{syscall=\"close\",errno=\"EBADF\"}", K.ToString(CultureInfo.InvariantCulture), ValueWait));
            // The histogram made it through Prometheus's parser too: every openat is in its +Inf bucket.
            string? count = await QueryAsync(http, prometheusPort, "phoebe_syscall_latency_seconds_count{syscall=\"openat\"}");
            Assert.True(count != null && long.Parse(count, CultureInfo.InvariantCulture) >= N + M, $"openat latency count {count}");
            Assert.Equal(count, await QueryAsync(http, prometheusPort, "phoebe_syscall_latency_seconds_bucket{syscall=\"openat\",le=\"+Inf\"}"));
        }
        finally
        {
            // SIGTERM reaches errloop through phoebe, which then writes its profile and exits; Dispose kills what is left.
            LibC.Kill(phoebe.Id, SIGTERM);
            try { phoebe.WaitForExit(TimeSpan.FromSeconds(20)); } catch (TimeoutException) { }
            prometheus.Kill();
        }
    }
}
