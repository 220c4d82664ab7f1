using System.Globalization;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Tests.Monitoring;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Metrics;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package, started by the test on loopback, not as a service)
/// scrapes <c>phoebe observe --metrics</c> and <c>phoebe run --metrics</c> on tests/targets/errloop every second;
/// its HTTP API then reports errloop's exact natural error counts and, under run, the exact injected ones.
/// </summary>
public sealed class PrometheusScrapeTests
{
    private const int SIGUSR1 = 10, SIGTERM = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ValueWait = TimeSpan.FromSeconds(20);

    private static string S(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Waits for errloop's <c>ready PID</c> through Phoebe's stdout and for Phoebe's metrics message.</summary>
    private static int WaitUntilServing(RunningProcess phoebe)
    {
        string ready = phoebe.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout);
        var deadline = DateTime.UtcNow + Timeout;
        while (!phoebe.StderrSoFar.Contains("phoebe: metrics at ", StringComparison.Ordinal))
        {
            Assert.False(phoebe.HasExited, "phoebe exited early:\n" + phoebe.StderrSoFar);
            Assert.True(DateTime.UtcNow < deadline, "phoebe did not start serving metrics:\n" + phoebe.StderrSoFar);
            Thread.Sleep(10);
        }
        return int.Parse(ready["ready ".Length..], CultureInfo.InvariantCulture);
    }

    [SkippableFact]
    public async Task Prometheus_scrapes_exact_error_counts_from_observe()
    {
        Ebpf.Require();
        PrometheusServer.Require();
        const int N = 1234, M = 200, K = 56;
        using var scratch = new ScratchDirectory();
        int metricsPort = PrometheusServer.FreePort();

        // errloop sleeps 60 s after its calls: Prometheus scrapes the final counts meanwhile; the test ends it.
        using var phoebe = PhoebeCli.Start(["observe", "--interval", "500ms", "--metrics", $"127.0.0.1:{metricsPort}", "-o", scratch.File("profile.yaml"), "--",
            TargetBuilder.Path("errloop"), "-s", "60000", S(N), S(M), S(K)]);
        int pid = WaitUntilServing(phoebe);
        using var prometheus = PrometheusServer.Start(scratch, metricsPort);
        try
        {
            // Prometheus is up and has scraped Phoebe once (the intervals counter exists) before errloop's calls.
            Assert.True(await prometheus.WaitForAnyValueAsync("phoebe_observe_intervals_total", Timeout) != null,
                "Prometheus never scraped phoebe\n--- prometheus\n" + prometheus.Log + "--- phoebe\n" + phoebe.StderrSoFar);

            Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
            string query = "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\"}";
            string? enoent = await prometheus.WaitForValueAsync(query, S(N), ValueWait);
            Assert.True(enoent == S(N), $"{query} = {enoent ?? "(none)"}, not {N}\n--- prometheus\n{prometheus.Log}--- phoebe\n{phoebe.StderrSoFar}");
            Assert.Equal(S(K), await prometheus.WaitForValueAsync("phoebe_syscall_errors_total{syscall=\"close\",errno=\"EBADF\"}", S(K), ValueWait));
            // Everything observe sees is natural.
            Assert.Null(await prometheus.QueryAsync("phoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\",injected=\"true\"}"));
            Assert.Equal(S(N), await prometheus.QueryAsync("phoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\",injected=\"false\"}"));
            // The histogram made it through Prometheus's parser too: every openat is in its +Inf bucket.
            string? count = await prometheus.QueryAsync("phoebe_syscall_latency_seconds_count{syscall=\"openat\"}");
            Assert.True(count != null && long.Parse(count, CultureInfo.InvariantCulture) >= N + M, $"openat latency count {count}");
            Assert.Equal(count, await prometheus.QueryAsync("phoebe_syscall_latency_seconds_bucket{syscall=\"openat\",le=\"+Inf\"}"));
        }
        finally
        {
            // SIGTERM reaches errloop through phoebe, which then writes its profile and exits; Dispose kills what is left.
            LibC.Kill(phoebe.Id, SIGTERM);
            try { phoebe.WaitForExit(TimeSpan.FromSeconds(20)); } catch (TimeoutException) { }
        }
    }

    [SkippableFact]
    public async Task Prometheus_scrapes_exact_injected_and_natural_counts_from_run()
    {
        Ebpf.Require();
        PrometheusServer.Require();
        const int N = 400, M = 30, K = 20, Denied = 7;
        using var scratch = new ScratchDirectory();
        int metricsPort = PrometheusServer.FreePort();

        // The first 7 openat (of the missing file) fail with EACCES at entry instead of their natural ENOENT.
        using var phoebe = PhoebeCli.Start(["run", "--metrics", $"127.0.0.1:{metricsPort}", "--metrics-interval", "200ms",
            "-e", $"RULE deny ON openat IF call <= {Denied} DO return EACCES", "--", TargetBuilder.Path("errloop"), "-s", "60000", S(N), S(M), S(K)]);
        int pid = WaitUntilServing(phoebe);
        using var prometheus = PrometheusServer.Start(scratch, metricsPort);
        try
        {
            // Scraped once before the calls: the injected series exist from the start, at 0.
            string? before = await prometheus.WaitForAnyValueAsync("phoebe_rule_injections_total{rule=\"deny\",syscall=\"openat\"}", Timeout);
            Assert.True(before == "0", $"before the calls: {before ?? "(never scraped)"}\n--- prometheus\n{prometheus.Log}--- phoebe\n{phoebe.StderrSoFar}");

            Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
            string query = "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"true\"}";
            string? injected = await prometheus.WaitForValueAsync(query, S(Denied), ValueWait);
            Assert.True(injected == S(Denied), $"{query} = {injected ?? "(none)"}, not {Denied}\n--- prometheus\n{prometheus.Log}--- phoebe\n{phoebe.StderrSoFar}");
            Assert.Equal(S(Denied), await prometheus.WaitForValueAsync("phoebe_rule_injections_total{rule=\"deny\",syscall=\"openat\"}", S(Denied), ValueWait));
            Assert.Equal(S(Denied), await prometheus.WaitForValueAsync("phoebe_rule_errors_total{rule=\"deny\",syscall=\"openat\",errno=\"EACCES\"}", S(Denied), ValueWait));
            Assert.Equal(S(N - Denied), await prometheus.WaitForValueAsync(
                "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\",injected=\"false\"}", S(N - Denied), ValueWait));
            Assert.Equal(S(K), await prometheus.WaitForValueAsync("phoebe_syscall_errors_total{syscall=\"close\",errno=\"EBADF\",injected=\"false\"}", S(K), ValueWait));
            // The calls failed at entry never ran: the monitor saw no natural EACCES.
            Assert.Null(await prometheus.QueryAsync("phoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"false\"}"));
            // All the errors the program saw, as one PromQL sum over both labels.
            Assert.Equal(S(N), await prometheus.QueryAsync("sum(phoebe_syscall_errors_total{syscall=\"openat\"})"));
        }
        finally
        {
            // SIGTERM makes phoebe kill errloop and exit.
            LibC.Kill(phoebe.Id, SIGTERM);
            try { phoebe.WaitForExit(TimeSpan.FromSeconds(20)); } catch (TimeoutException) { }
        }
    }
}
