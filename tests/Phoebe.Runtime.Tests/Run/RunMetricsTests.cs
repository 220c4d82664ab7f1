using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Tests.Monitoring;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// <c>phoebe run --metrics</c> and <c>phoebe attach --metrics</c> on tests/targets/errloop, scraped over HTTP: the
/// exact natural counts (eBPF, <c>injected="false"</c>) and injected ones (the engine, <c>injected="true"</c>) for an
/// ENTRY rule served by seccomp user notification, by ptrace at a seccomp stop, and by ptrace at a syscall-entry
/// stop (attach), and an EXIT rule. They check what the metrics rely on: a call failed at entry never reaches the
/// monitor, and a call whose result an EXIT rule replaced is counted with its natural result.
/// </summary>
public sealed class RunMetricsTests : IDisposable
{
    private const int SIGUSR1 = 10;
    private const int N = 300, M = 40, K = 25, Denied = 5, Replaced = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>The first 5 openat fail at entry; the first 3 close (all successes) have their result replaced.</summary>
    private static readonly string[] Rules =
    [
        "-e", $"RULE deny ON openat IF call <= {Denied} DO return EACCES",
        "-e", $"RULE eio ON close EXIT IF call <= {Replaced} DO return EIO",
    ];

    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static string S(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The samples of an exposition: series (name and labels, as written) to value.</summary>
    private static Dictionary<string, double> Samples(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return samples;
    }

    /// <summary>
    /// Scrapes <c>/metrics</c> every 100 ms until Phoebe has exited (with <c>--metrics-linger</c> it exits once a
    /// scrape has fetched the final values) and returns the last body fetched: the final values.
    /// </summary>
    private static async Task<string> ScrapeUntilExitAsync(RunningProcess phoebe, int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string? last = null;
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            bool exited = phoebe.HasExited;
            try
            {
                last = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
            }
            catch (HttpRequestException)
            {
                if (exited) break;
            }
            catch (TaskCanceledException)
            {
            }
            if (exited) break;
            await Task.Delay(100);
        }
        phoebe.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.True(last != null, "no scrape succeeded\n--- phoebe\n" + phoebe.StderrSoFar);
        return last;
    }

    private static void AssertSample(Dictionary<string, double> samples, string series, long expected, string context)
    {
        Assert.True(samples.TryGetValue(series, out double value), $"no {series}\n{context}");
        Assert.True(value == expected, $"{series} is {value}, not {expected}\n{context}");
    }

    /// <summary>What errloop's calls under the two rules must show, natural and injected, whatever served the rules.</summary>
    private static void AssertExactCounts(Dictionary<string, double> samples, string context)
    {
        // Natural: openat ran N - 5 times failing with ENOENT and M times succeeding; the 5 denied never ran.
        AssertSample(samples, "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\",injected=\"false\"}", N - Denied, context);
        AssertSample(samples, "phoebe_syscalls_total{syscall=\"openat\",injected=\"false\"}", N - Denied + M, context);
        Assert.False(samples.ContainsKey("phoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"false\"}"), context);
        // Injected at entry: 5 calls, 5 errors.
        AssertSample(samples, "phoebe_syscalls_total{syscall=\"openat\",injected=\"true\"}", Denied, context);
        AssertSample(samples, "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"true\"}", Denied, context);
        // close ran M + K times: the 3 replaced ones are natural successes, counted as such; their EIO is injected.
        AssertSample(samples, "phoebe_syscalls_total{syscall=\"close\",injected=\"false\"}", M + K, context);
        AssertSample(samples, "phoebe_syscall_errors_total{syscall=\"close\",errno=\"EBADF\",injected=\"false\"}", K, context);
        AssertSample(samples, "phoebe_syscall_errors_total{syscall=\"close\",errno=\"EIO\",injected=\"true\"}", Replaced, context);
        Assert.False(samples.ContainsKey("phoebe_syscall_errors_total{syscall=\"close\",errno=\"EIO\",injected=\"false\"}"), context);
        Assert.False(samples.ContainsKey("phoebe_syscalls_total{syscall=\"close\",injected=\"true\"}"), context);
        AssertSample(samples, "phoebe_syscall_latency_seconds_count{syscall=\"close\"}", M + K, context);
        // Per rule.
        AssertSample(samples, "phoebe_rule_calls_total{rule=\"deny\"}", N + M, context);
        AssertSample(samples, "phoebe_rule_matched_total{rule=\"deny\"}", Denied, context);
        AssertSample(samples, "phoebe_rule_injections_total{rule=\"deny\",syscall=\"openat\"}", Denied, context);
        AssertSample(samples, "phoebe_rule_errors_total{rule=\"deny\",syscall=\"openat\",errno=\"EACCES\"}", Denied, context);
        AssertSample(samples, "phoebe_rule_calls_total{rule=\"eio\"}", M + K, context);
        AssertSample(samples, "phoebe_rule_errors_total{rule=\"eio\",syscall=\"close\",errno=\"EIO\"}", Replaced, context);
        Assert.True(samples["phoebe_observe_intervals_total"] >= 1, context);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_serves_exact_natural_and_injected_counts_until_the_final_scrape(bool ptraceOnly)
    {
        Ebpf.Require();
        int port = FreePort();
        string[] args = ["run", "--metrics", $"127.0.0.1:{port}", "--metrics-interval", "100ms", "--metrics-linger", "60s", .. Rules];
        if (ptraceOnly) args = [.. args, "--ptrace-only"];
        using var phoebe = PhoebeCli.Start([.. args, "--", TargetBuilder.Path("errloop"), S(N), S(M), S(K)], dir.Path);
        string ready = phoebe.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout);
        Assert.Equal(0, LibC.Kill(int.Parse(ready["ready ".Length..], CultureInfo.InvariantCulture), SIGUSR1));

        string final = await ScrapeUntilExitAsync(phoebe, port);
        var result = phoebe.WaitForExit(Timeout);
        string context = $"--- final scrape\n{final}--- phoebe\n{result}";
        // errloop saw the injections: it exits 1, its ENOENT and successful closes fewer.
        Assert.True(result.ExitCode == 1, context);
        Assert.Equal([ready, $"enoent {N - Denied}", $"opened {M - Replaced}", $"ebadf {K}"], result.StdoutLines);
        Assert.Contains("phoebe: serving the final metrics until they are scraped", result.Stderr, StringComparison.Ordinal);

        var samples = Samples(final);
        AssertExactCounts(samples, context);
        // The monitor starts at the launcher's exec of errloop: that execve is errloop's first counted call, and
        // nothing the launcher did before it (reading /proc/self/status, installing the filter) is counted.
        AssertSample(samples, "phoebe_syscalls_total{syscall=\"execve\",injected=\"false\"}", 1, context);
        Assert.DoesNotContain("syscall=\"seccomp\"", final, StringComparison.Ordinal);
        Assert.DoesNotContain("syscall=\"prctl\"", final, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Attach_serves_exact_natural_and_injected_counts()
    {
        Ebpf.Require();
        int port = FreePort();
        using var target = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("errloop"), [S(N), S(M), S(K)]));
        target.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout);
        using var phoebe = PhoebeCli.Start(["attach", "--pid", S(target.Id), "--metrics", $"127.0.0.1:{port}", "--metrics-interval", "100ms",
            "--metrics-linger", "60s", .. Rules]);
        // Traced once TracerPid is set; the tracer's first stop of errloop follows at once.
        var deadline = DateTime.UtcNow + Timeout;
        while (ProcFs.StatusField(target.Id, "TracerPid:") <= 0 || !phoebe.StderrSoFar.Contains("phoebe: metrics at ", StringComparison.Ordinal))
        {
            Assert.False(phoebe.HasExited, "phoebe exited early:\n" + phoebe.StderrSoFar);
            Assert.True(DateTime.UtcNow < deadline, "phoebe did not attach:\n" + phoebe.StderrSoFar);
            Thread.Sleep(10);
        }
        Thread.Sleep(300);
        Assert.Equal(0, LibC.Kill(target.Id, SIGUSR1));
        var targetResult = target.WaitForExit(Timeout);

        string final = await ScrapeUntilExitAsync(phoebe, port);
        var result = phoebe.WaitForExit(Timeout);
        string context = $"--- final scrape\n{final}--- phoebe\n{result}\n--- errloop\n{targetResult}";
        Assert.True(result.ExitCode == 0, context);
        Assert.Equal([$"ready {target.Id}", $"enoent {N - Denied}", $"opened {M - Replaced}", $"ebadf {K}"], targetResult.StdoutLines);
        // Attached, a denied call reaches the kernel's sys_enter with number -1: still not counted as a call.
        AssertExactCounts(Samples(final), context);
    }

    [SkippableFact]
    public async Task Without_ebpf_run_warns_and_serves_the_injection_counters_alone()
    {
        // A copy of the CLI without the BPF object: the monitor cannot load, as on a machine without clang at build.
        using var copy = new ScratchDirectory();
        string bin = Path.Combine(copy.Path, "bin");
        CopyDirectory(AppContext.BaseDirectory, bin, skip: f => f.EndsWith(".bpf.o", StringComparison.Ordinal));
        int port = FreePort();
        using var phoebe = RunningProcess.Start(new ProcessSpec(PhoebeCli.DotnetHost, [Path.Combine(bin, "phoebe.dll"), "run", "--metrics", $"127.0.0.1:{port}",
            "--metrics-linger", "60s", "-e", "RULE deny ON openat IF call == 2 DO return EACCES", "--", TargetBuilder.Path("opens"), "a.txt", "b.txt", "c.txt"], dir.Path));
        string final = await ScrapeUntilExitAsync(phoebe, port);
        var result = phoebe.WaitForExit(Timeout);
        string context = $"--- final scrape\n{final}--- phoebe\n{result}";

        Assert.Equal("openat a.txt -> 3\nclose 3 -> 0\nopenat b.txt -> -1 EACCES\nopenat c.txt -> 3\nclose 3 -> 0\n", result.Stdout);
        var warnings = result.Stderr.Split('\n').Where(l => l.StartsWith("phoebe: warning: ", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 1, context);
        Assert.Matches("^phoebe: warning: the metrics count injections only, no natural calls or errors: the eBPF monitor .*phoebe-monitor.bpf.o is missing", warnings[0]);

        var samples = Samples(final);
        AssertSample(samples, "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"true\"}", 1, context);
        AssertSample(samples, "phoebe_syscalls_total{syscall=\"openat\",injected=\"true\"}", 1, context);
        AssertSample(samples, "phoebe_rule_calls_total{rule=\"deny\"}", 3, context);
        AssertSample(samples, "phoebe_observe_intervals_total", 0, context);
        Assert.DoesNotContain("injected=\"false\"}", final, StringComparison.Ordinal);
        Assert.DoesNotContain("phoebe_syscall_error_rate{", final, StringComparison.Ordinal);
    }

    private static void CopyDirectory(string from, string to, Func<string, bool> skip)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            if (!skip(file)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var sub in Directory.GetDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)), skip);
        // File.Copy keeps the mode on Linux, so the launcher stays executable.
    }

    [Fact]
    public void Run_with_malformed_metrics_options_is_a_usage_error()
    {
        var malformed = PhoebeCli.Run(["run", "--metrics", "nowhere", "-e", "RULE r ON openat DO return EACCES", "--", "true"], timeout: Timeout);
        Assert.True(malformed.ExitCode == 2, malformed.ToString());
        Assert.StartsWith("phoebe: --metrics needs HOST:PORT", malformed.Stderr, StringComparison.Ordinal);

        var interval = PhoebeCli.Run(["run", "--metrics", "127.0.0.1:1", "--metrics-interval", "soon", "-e", "RULE r ON openat DO return EACCES", "--", "true"], timeout: Timeout);
        Assert.True(interval.ExitCode == 2, interval.ToString());
        Assert.StartsWith("phoebe: --metrics-interval needs a duration", interval.Stderr, StringComparison.Ordinal);

        var stray = PhoebeCli.Run(["attach", "--pid", "999999", "--metrics-linger", "5s", "-e", "RULE r ON openat DO return EACCES"], timeout: Timeout);
        Assert.True(stray.ExitCode == 2, stray.ToString());
        Assert.Equal("phoebe: --metrics-linger needs --metrics HOST:PORT\n", stray.Stderr);
    }

    [SkippableFact]
    public void Run_on_a_taken_port_fails_with_125_before_running_the_command()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        string marker = dir.File("ran");
        var result = PhoebeCli.Run(["run", "--metrics", $"127.0.0.1:{port}", "-e", "RULE r ON openat IF call == 99 DO return EACCES", "--", "touch", marker], timeout: Timeout);
        Assert.True(result.ExitCode == 125, result.ToString());
        Assert.Equal($"phoebe: cannot serve metrics on 127.0.0.1:{port}: Address already in use\n", result.Stderr);
        Assert.False(File.Exists(marker));
    }

    [SkippableFact]
    public void Attach_on_a_taken_port_fails_with_125_before_attaching()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var target = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("sleeper"), ["-i", "50", "/etc/hostname"]));
        target.WaitForStdoutLine(l => l.StartsWith("tick 1 openat", StringComparison.Ordinal), Timeout);
        var result = PhoebeCli.Run(["attach", "--pid", S(target.Id), "--metrics", $"127.0.0.1:{port}", "-e", "RULE r ON openat DO return EACCES"], timeout: Timeout);
        Assert.True(result.ExitCode == 125, result.ToString());
        Assert.Equal($"phoebe: cannot serve metrics on 127.0.0.1:{port}: Address already in use\n", result.Stderr);
        // Never traced: its opens go on succeeding.
        Thread.Sleep(200);
        Assert.DoesNotContain("-1", target.StdoutSoFar, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Rules_the_kernel_could_decide_are_counted_and_a_json_summary_stays_alone_on_stderr()
    {
        Ebpf.Require();
        int port = FreePort();
        // Unconditional: without --metrics the kernel fails these calls itself (SECCOMP_RET_ERRNO) and counts nothing.
        using var phoebe = PhoebeCli.Start(["run", "--summary", "json", "--metrics", $"127.0.0.1:{port}", "--metrics-linger", "60s",
            "-e", "RULE deny ON openat DO return EACCES", "--", TargetBuilder.Path("opens"), "a.txt", "b.txt"], dir.Path);
        string final = await ScrapeUntilExitAsync(phoebe, port);
        var result = phoebe.WaitForExit(Timeout);
        string context = $"--- final scrape\n{final}--- phoebe\n{result}";
        Assert.True(result.ExitCode == 1, context);
        Assert.Equal("openat a.txt -> -1 EACCES\nopenat b.txt -> -1 EACCES\n", result.Stdout);
        using var summary = System.Text.Json.JsonDocument.Parse(result.Stderr);
        var rule = summary.RootElement.GetProperty("rules")[0];
        Assert.False(rule.GetProperty("inKernel").GetBoolean());
        Assert.Equal(2, rule.GetProperty("injected").GetInt64());
        var samples = Samples(final);
        AssertSample(samples, "phoebe_rule_errors_total{rule=\"deny\",syscall=\"openat\",errno=\"EACCES\"}", 2, context);
        AssertSample(samples, "phoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"true\"}", 2, context);
        Assert.False(samples.ContainsKey("phoebe_syscalls_total{syscall=\"openat\",injected=\"false\"}"), context);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("attach")]
    public void Help_lists_the_metrics_options(string command)
    {
        var help = PhoebeCli.Run([command, "--help"], timeout: Timeout);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("--metrics <HOST:PORT>", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--metrics-interval <D>", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--metrics-linger <D>", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("injected=\"true\"", help.Stdout, StringComparison.Ordinal);
    }
}
