using System.Net;
using Phoebe.Lang;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Metrics;
using Phoebe.Runtime.Monitoring;

namespace Phoebe.Runtime.Tests.Metrics;

/// <summary>
/// The injection side of the metrics of <c>phoebe run</c> and <c>phoebe attach</c>, without a tracee: the engine's
/// counters per rule and syscall, their exposition next to made-up natural counts, the hook that starts the monitor
/// at the launcher's exec, and waiting for the scrape of the final values.
/// </summary>
public sealed class InjectionMetricsTests
{
    private const int Read = 0, Close = 3, Getpid = 39, Execve = 59, Openat = 257;
    private const int ENOENT = 2, EIO = 5, EACCES = 13;

    private static RulePlan[] Rules(params string[] texts)
    {
        var result = PhoebeCompiler.Compile(new SourceText("t.phb", string.Join("\n", texts) + "\n"));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return [.. result.Plan!.Rules];
    }

    private static TraceeCall Call(int nr, long? retval = null) => new(42, 42, new UserRegs { OrigRax = (ulong)nr }, null, retval);

    private static SyscallCounter Natural(int nr, int errno, long count)
    {
        var histogram = new long[SyscallMonitor.HistogramBuckets];
        histogram[10] = count;
        return new SyscallCounter(nr, errno, count, 1000 * count, histogram);
    }

    /// <summary>The exposition without the latency histogram's lines.</summary>
    private static string WithoutLatency(string text) =>
        string.Concat(text.Split('\n').Where(l => l.Length > 0 && !l.Contains("phoebe_syscall_latency_seconds", StringComparison.Ordinal)).Select(l => l + "\n"));

    /// <summary>
    /// Five rules on four syscalls: ENTRY errors, a rule whose return loses to an earlier rule's, a delay, EXIT
    /// replacements, and a faked success; driven through the engine as the tracer would.
    /// </summary>
    private static InjectionEngine DriveEngine()
    {
        var engine = new InjectionEngine(Rules(
            "RULE deny ON openat IF call <= 2 DO return EACCES",
            "RULE shadow ON openat IF call == 1 DO return ENOENT",
            "RULE slow ON openat IF call == 3 DO delay 1ms",
            "RULE eio ON close, read EXIT IF call == 1 DO return EIO",
            "RULE fake ON getpid DO return 7"), new InjectionOptions { InKernelErrno = false });
        Assert.Equal(-EACCES, engine.OnEntry(Openat, Call(Openat)).Return); // deny; shadow acts too, but deny's return came first
        Assert.Equal(-EACCES, engine.OnEntry(Openat, Call(Openat)).Return);
        Assert.Null(engine.OnEntry(Openat, Call(Openat)).Return);            // slow: a delay, not a result
        Assert.Null(engine.OnEntry(Openat, Call(Openat)).Return);
        Assert.Null(engine.OnExit(Openat, Call(Openat, -ENOENT)).Return);
        Assert.Equal(-EIO, engine.OnExit(Close, Call(Close, 0)).Return);
        Assert.Null(engine.OnExit(Close, Call(Close, 0)).Return);
        Assert.Equal(-EIO, engine.OnExit(Read, Call(Read, 5)).Return);
        Assert.Equal(7, engine.OnEntry(Getpid, Call(Getpid)).Return);
        return engine;
    }

    [Fact]
    public void The_engine_counts_injections_and_returns_per_rule_and_syscall()
    {
        var counts = InjectionCounts.Read(DriveEngine());
        var byRule = counts.Rules.ToDictionary(r => r.Rule);
        Assert.Equal(["deny", "shadow", "slow", "eio", "fake"], counts.Rules.Select(r => r.Rule));
        Assert.Equal((4L, 2L, -EACCES), (byRule["deny"].Calls, byRule["deny"].Matched, byRule["deny"].ReturnValue));
        Assert.Equal(new RuleSyscallCounts("openat", 2, 2), Assert.Single(byRule["deny"].Syscalls));
        // shadow acted once, but the call's result was deny's.
        Assert.Equal(new RuleSyscallCounts("openat", 1, 0), Assert.Single(byRule["shadow"].Syscalls));
        Assert.Null(byRule["slow"].ReturnValue);
        Assert.Equal(new RuleSyscallCounts("openat", 1, 0), Assert.Single(byRule["slow"].Syscalls));
        Assert.False(byRule["eio"].AtEntry);
        Assert.Equal([new RuleSyscallCounts("close", 1, 1), new RuleSyscallCounts("read", 1, 1)], byRule["eio"].Syscalls);
        Assert.Equal(new RuleSyscallCounts("getpid", 1, 1), Assert.Single(byRule["fake"].Syscalls));

        Assert.Equal(new Dictionary<(string, string), long>
        {
            [("openat", "EACCES")] = 2, [("openat", "ENOENT")] = 0, [("close", "EIO")] = 1, [("read", "EIO")] = 1,
        }, counts.Errors());
        // Only ENTRY returns replace a call; EXIT ones replace the result of a call the kernel ran.
        Assert.Equal(new Dictionary<string, long> { ["openat"] = 2, ["getpid"] = 1 }, counts.EntryReturns());
    }

    [Fact]
    public void Renders_injected_series_next_to_natural_ones_and_rates_as_the_program_saw_them()
    {
        var engine = DriveEngine();
        var metrics = new ObservationMetrics();
        // What the monitor saw: openat calls 3 and 4 ran (one failed naturally), both closes, the read; never getpid.
        metrics.Add(new SyscallCounts([Natural(Read, 0, 1), Natural(Close, 0, 2), Natural(Openat, 0, 1), Natural(Openat, ENOENT, 1)], 0, 0),
            InjectionCounts.Read(engine));

        const string Expected = """
# HELP phoebe_observe_intervals_total Intervals of natural counts collected since the start.
# TYPE phoebe_observe_intervals_total counter
phoebe_observe_intervals_total 1
# HELP phoebe_syscalls_total Calls of each syscall since the start: injected="false" those the kernel ran, succeeded or failed; injected="true" those a rule answered at entry instead.
# TYPE phoebe_syscalls_total counter
phoebe_syscalls_total{syscall="close",injected="false"} 2
phoebe_syscalls_total{syscall="getpid",injected="true"} 1
phoebe_syscalls_total{syscall="openat",injected="false"} 2
phoebe_syscalls_total{syscall="openat",injected="true"} 2
phoebe_syscalls_total{syscall="read",injected="false"} 1
# HELP phoebe_syscall_errors_total Calls of each syscall that failed with each errno since the start: injected="false" as the kernel returned them, injected="true" as a rule returned them.
# TYPE phoebe_syscall_errors_total counter
phoebe_syscall_errors_total{syscall="close",errno="EIO",injected="true"} 1
phoebe_syscall_errors_total{syscall="openat",errno="EACCES",injected="true"} 2
phoebe_syscall_errors_total{syscall="openat",errno="ENOENT",injected="false"} 1
phoebe_syscall_errors_total{syscall="openat",errno="ENOENT",injected="true"} 0
phoebe_syscall_errors_total{syscall="read",errno="EIO",injected="true"} 1
# HELP phoebe_syscall_error_rate Failures with each errno among the calls of the syscall in the last completed interval, as the program saw them: natural and injected.
# TYPE phoebe_syscall_error_rate gauge
phoebe_syscall_error_rate{syscall="close",errno="EIO"} 0.5
phoebe_syscall_error_rate{syscall="openat",errno="EACCES"} 0.5
phoebe_syscall_error_rate{syscall="openat",errno="ENOENT"} 0.25
phoebe_syscall_error_rate{syscall="read",errno="EIO"} 1
# HELP phoebe_rule_calls_total Calls of the rule's syscalls seen while it was enabled.
# TYPE phoebe_rule_calls_total counter
phoebe_rule_calls_total{rule="deny"} 4
phoebe_rule_calls_total{rule="shadow"} 4
phoebe_rule_calls_total{rule="slow"} 4
phoebe_rule_calls_total{rule="eio"} 3
phoebe_rule_calls_total{rule="fake"} 1
# HELP phoebe_rule_matched_total Calls of the rule's syscalls whose conditions held.
# TYPE phoebe_rule_matched_total counter
phoebe_rule_matched_total{rule="deny"} 2
phoebe_rule_matched_total{rule="shadow"} 1
phoebe_rule_matched_total{rule="slow"} 1
phoebe_rule_matched_total{rule="eio"} 2
phoebe_rule_matched_total{rule="fake"} 1
# HELP phoebe_rule_injections_total Times the rule acted on calls of each syscall: returned, delayed, signalled or logged.
# TYPE phoebe_rule_injections_total counter
phoebe_rule_injections_total{rule="deny",syscall="openat"} 2
phoebe_rule_injections_total{rule="shadow",syscall="openat"} 1
phoebe_rule_injections_total{rule="slow",syscall="openat"} 1
phoebe_rule_injections_total{rule="eio",syscall="close"} 1
phoebe_rule_injections_total{rule="eio",syscall="read"} 1
phoebe_rule_injections_total{rule="fake",syscall="getpid"} 1
# HELP phoebe_rule_errors_total Calls of each syscall that failed with the errno the rule returns, because the rule returned it.
# TYPE phoebe_rule_errors_total counter
phoebe_rule_errors_total{rule="deny",syscall="openat",errno="EACCES"} 2
phoebe_rule_errors_total{rule="shadow",syscall="openat",errno="ENOENT"} 0
phoebe_rule_errors_total{rule="eio",syscall="close",errno="EIO"} 1
phoebe_rule_errors_total{rule="eio",syscall="read",errno="EIO"} 1

""";
        string text = metrics.Render();
        Assert.Equal(Expected.TrimEnd('\n') + "\n", WithoutLatency(text));
        // The latency histogram holds the calls the kernel ran only.
        Assert.Contains("\nphoebe_syscall_latency_seconds_count{syscall=\"openat\"} 2\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("phoebe_syscall_latency_seconds_count{syscall=\"getpid\"}", text, StringComparison.Ordinal);

        // The next interval: two more openat, neither injected. Rates are the interval's, counters keep growing.
        Assert.Null(engine.OnEntry(Openat, Call(Openat)).Return);
        Assert.Null(engine.OnEntry(Openat, Call(Openat)).Return);
        metrics.Add(new SyscallCounts([Natural(Openat, 0, 2)], 0, 0), InjectionCounts.Read(engine));
        text = metrics.Render();
        Assert.Contains("\nphoebe_syscall_error_rate{syscall=\"openat\",errno=\"EACCES\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nphoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"true\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("\nphoebe_syscalls_total{syscall=\"openat\",injected=\"false\"} 4\n", text, StringComparison.Ordinal);
        Assert.Contains("\nphoebe_rule_calls_total{rule=\"deny\"} 6\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_natural_counts_injections_render_alone_and_no_rate_is_made_up()
    {
        var metrics = new ObservationMetrics();
        metrics.Add(null, InjectionCounts.Read(DriveEngine()));
        string text = metrics.Render();
        Assert.Contains("\nphoebe_observe_intervals_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("\nphoebe_syscall_errors_total{syscall=\"openat\",errno=\"EACCES\",injected=\"true\"} 2\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("injected=\"false\"}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("phoebe_syscall_error_rate{", text, StringComparison.Ordinal);
        Assert.Contains("\nphoebe_rule_injections_total{rule=\"deny\",syscall=\"openat\"} 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_renders_no_rule_metrics()
    {
        var metrics = new ObservationMetrics();
        metrics.Add(new SyscallCounts([Natural(Openat, ENOENT, 3)], 0, 0));
        string text = metrics.Render();
        Assert.DoesNotContain("phoebe_rule_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("injected=\"true\"}", text, StringComparison.Ordinal);
        Assert.Contains("\nphoebe_syscall_errors_total{syscall=\"openat\",errno=\"ENOENT\",injected=\"false\"} 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_decided_in_the_kernel_have_no_counters_to_export()
    {
        var engine = new InjectionEngine(Rules("RULE k ON openat DO return EACCES", "RULE t ON close IF call == 2 DO return EIO"), new InjectionOptions());
        Assert.True(engine.Rules[0].InKernel);
        Assert.Equal(["t"], InjectionCounts.Read(engine).Rules.Select(r => r.Rule));
    }

    [Fact]
    public void Counting_injections_does_not_allocate()
    {
        var engine = new InjectionEngine(Rules("RULE eio ON close EXIT IF call > 0 DO return EIO"), new InjectionOptions { InKernelErrno = false });
        var call = Call(Close, 0);
        for (int i = 0; i < 10_000; i++) engine.OnExit(Close, call); // JIT

        // As in ConditionEvaluatorTests: the cheapest of three rounds is the engine's own cost.
        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000_000; i++) engine.OnExit(Close, call);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(allocated <= 4096, $"1e6 injections allocated {allocated} bytes");
        Assert.Equal(3_010_000, engine.Rules[0].Syscalls[0].Returns);
    }

    [Fact]
    public void Before_exec_stops_every_execve_of_a_launched_target_and_sees_its_pid()
    {
        var seen = new List<int>();
        var plain = new InjectionEngine(Rules("RULE k ON openat DO return EACCES"), new InjectionOptions());
        Assert.False(plain.FilterPlan().ContainsKey(Execve));

        var hooked = new InjectionEngine(Rules("RULE k ON openat DO return EACCES"), new InjectionOptions { BeforeExec = seen.Add });
        Assert.Equal(SeccompAction.Trace, hooked.FilterPlan()[Execve].Otherwise);
        // Other rules still go to the kernel.
        Assert.True(hooked.Rules[0].InKernel);
        hooked.OnEntry(Execve, Call(Execve));
        Assert.Equal([42], seen);
        hooked.OnEntry(Openat, Call(Openat));
        Assert.Equal([42], seen);

        // An execve rule the kernel could decide stays with the tracer, so that the stop happens.
        var execRule = new InjectionEngine(Rules("RULE noexec ON execve DO return EACCES"), new InjectionOptions { BeforeExec = _ => { } });
        Assert.False(execRule.Rules[0].InKernel);
        Assert.Equal(SeccompAction.Trace, execRule.FilterPlan()[Execve].Otherwise);
        Assert.True(new InjectionEngine(Rules("RULE noexec ON execve DO return EACCES"), new InjectionOptions()).Rules[0].InKernel);
    }

    [Fact]
    public async Task Next_scrape_completes_only_after_a_response_rendered_later_was_sent()
    {
        using var rendering = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        int renders = 0;
        using var server = MetricsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), () =>
        {
            if (Interlocked.Increment(ref renders) == 1)
            {
                rendering.Release();
                release.Wait();
            }
            return "x 1\n";
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        string url = $"http://127.0.0.1:{server.Endpoint.Port}/metrics";

        // A scrape whose render began before the wait started has old values: it does not count.
        var early = http.GetStringAsync(url);
        Assert.True(await rendering.WaitAsync(TimeSpan.FromSeconds(20)));
        var next = server.NextScrapeAsync();
        release.Release();
        Assert.Equal("x 1\n", await early);
        await Task.Delay(200);
        Assert.False(next.IsCompleted);

        // A HEAD carries no values either.
        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url))) Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        await Task.Delay(200);
        Assert.False(next.IsCompleted);

        Assert.Equal("x 1\n", await http.GetStringAsync(url));
        await next.WaitAsync(TimeSpan.FromSeconds(20));
    }
}
