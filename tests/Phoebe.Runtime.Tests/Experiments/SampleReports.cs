using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>Hand-built campaign reports: what the orchestrator would fill in, with every case a report must show.</summary>
internal static class SampleReports
{
    /// <summary>A check named as hostile HTML: it must show as text and leave the page working.</summary>
    public const string HostileCheck = "</script><script>document.body.setAttribute('data-pwned','check')</script>";

    /// <summary>
    /// An interrupted campaign (tolerance 10%, allow degraded) of five experiments, one per verdict and a
    /// random baseline, one skipped, a <c>|</c> in a name, and a seed that needs all 64 bits:
    /// <list type="bullet">
    /// <item><c>eagain_ok</c>: write EAGAIN, sporadic 5%: resilient.</item>
    /// <item><c>disk|full</c>: write ENOSPC, written: crashed (exited with 139), ping failing 2 of 4.</item>
    /// <item><c>slow_reads</c>: a delay on read (no errno): degraded, ping 50%.</item>
    /// <item><c>eio_corrupts</c>: read EIO, fluctuating 20%: corrupted, ping failing 3 of 4 afterwards.</item>
    /// <item><c>random_openat</c>: openat EACCES, random baseline 50%: resilient.</item>
    /// </list>
    /// </summary>
    public static CampaignReport Campaign()
    {
        var steady = Phase(0, 10, Check("ping", 0, 10, []), Check("roundtrip", 0, 10, [3]));
        return new CampaignReport(
            Scenario: "server-chaos",
            ScenarioPath: "examples/demo/scenario.yaml",
            Target: "./server --port 18080",
            StartedUtc: new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc),
            Duration: TimeSpan.FromSeconds(83.25),
            Seed: ulong.MaxValue,
            Tolerance: 0.1,
            SteadyState: steady,
            Experiments:
            [
                Experiment("eagain_ok", ["eagain_ok"], "write", "EAGAIN", 0.05, "sporadic", false, start: 10, injections: 12, calls: 240,
                    window: [Check("ping", 10, 10, []), Check("roundtrip", 10, 10, [4])],
                    post: [Check("ping", 20, 4, [])],
                    verdict: Verdict.Resilient, why: "every check stayed within the tolerance"),
                Experiment("disk|full", ["writes_fail"], "write", "ENOSPC", null, null, false, start: 24, injections: 37, calls: 37,
                    window: [Check("ping", 24, 4, [2, 3]), Check("roundtrip", 24, 4, [])],
                    post: null,
                    verdict: Verdict.Crashed, why: "the target exited with 139 while injecting",
                    crash: "exited with 139", restarted: true),
                Experiment("slow_reads", ["slow_reads"], "read", "", null, null, false, start: 30, injections: 80, calls: 80,
                    window: [Check("ping", 30, 10, [1, 3, 5, 7, 9]), Check("roundtrip", 30, 10, [0])],
                    post: [Check("ping", 40, 4, [])],
                    verdict: Verdict.Degraded, why: "ping succeeded 50% of the time (steady state 100%)"),
                Experiment("eio_corrupts", ["read_EIO"], "read", "EIO", 0.2, "fluctuating", false, start: 44, injections: 9, calls: 45,
                    window: [Check("ping", 44, 10, [6, 7, 8, 9]), Check("roundtrip", 44, 10, [])],
                    post: [Check("ping", 54, 4, [1, 2, 3], "expected PONG, got </script><b>garbage</b>")],
                    verdict: Verdict.Corrupted, why: "ping still failed after injection stopped",
                    restarted: true),
                Experiment("random_openat", ["openat_random"], "openat", "EACCES", 0.5, null, true, start: 60, injections: 3, calls: 6,
                    window: [Check("ping", 60, 10, []), Check("roundtrip", 60, 10, [])],
                    post: [Check("ping", 70, 4, [])],
                    verdict: Verdict.Resilient, why: "every check stayed within the tolerance"),
            ],
            Skipped: [new SkippedExperiment("never_ran", "interrupted")],
            Restarts: 2,
            Interrupted: true,
            Allow: Verdict.Degraded);
    }

    /// <summary>
    /// A small finished campaign whose names and messages are hostile HTML: a scenario, experiment, rule, check,
    /// message, crash reason and skip reason that try to inject markup and scripts.
    /// </summary>
    public static CampaignReport Hostile()
    {
        const string scenario = "<img src=x onerror=\"document.body.setAttribute('data-pwned','scenario')\">";
        return new CampaignReport(
            Scenario: scenario,
            ScenarioPath: "a&b/<scenario>.yaml",
            Target: "sh -c 'echo </style><script>1</script>'",
            StartedUtc: new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc),
            Duration: TimeSpan.FromSeconds(30),
            Seed: 42,
            Tolerance: 0.05,
            SteadyState: Phase(0, 10, Check(HostileCheck, 0, 10, [])),
            Experiments:
            [
                Experiment("\"><b onmouseover=alert(1)>x</b>", ["<rule>"], "write", "ENOSPC", null, null, false, start: 10, injections: 5, calls: 9,
                    window: [Check(HostileCheck, 10, 10, [2, 5, 8], "<!-- </script> \u2028 ]]>")],
                    post: [Check(HostileCheck, 20, 4, [])],
                    verdict: Verdict.Degraded, why: "<script>alert('why')</script>", crash: null),
            ],
            Skipped: [new SkippedExperiment("<i>skipped</i>", "aborted after </script> 2 crashes")],
            Restarts: 0,
            Interrupted: false,
            Allow: Verdict.Degraded);
    }

    /// <summary>A check that ran <paramref name="runs"/> times, once a second from <paramref name="start"/>, failing at the given run indexes.</summary>
    public static CheckSummary Check(string name, double start, int runs, int[] failing, string message = "connection refused")
    {
        var samples = Enumerable.Range(0, runs)
            .Select(i => new CheckSample(TimeSpan.FromSeconds(start + i + 0.25), !failing.Contains(i), failing.Contains(i) ? null : 1.5 + i, failing.Contains(i) ? message : null, 2.5))
            .ToList();
        return new CheckSummary(name, runs, failing.Length, samples);
    }

    /// <summary>A phase from <paramref name="start"/> to <paramref name="end"/> seconds.</summary>
    public static PhaseResult Phase(double start, double end, params CheckSummary[] checks) =>
        new(TimeSpan.FromSeconds(start), TimeSpan.FromSeconds(end), checks);

    private static ExperimentResult Experiment(
        string name, string[] rules, string syscall, string errno, double? rate, string? modelCase, bool randomBaseline,
        double start, long injections, long calls, CheckSummary[] window, CheckSummary[]? post, Verdict verdict, string why,
        string? crash = null, bool restarted = false)
    {
        double windowEnd = start + (post is null ? 4 : 10);
        // Injections grow evenly over the window, sampled once a second.
        var timeline = Enumerable.Range(0, (int)(windowEnd - start) + 1)
            .Select(i => new InjectionSample(TimeSpan.FromSeconds(start + i), injections * i / (long)(windowEnd - start)))
            .ToList();
        return new ExperimentResult(
            name, rules, syscall, errno, rate, modelCase, randomBaseline, injections, calls,
            Phase(start, windowEnd, window),
            post is null ? null : Phase(windowEnd, windowEnd + 4, post),
            timeline,
            Crashed: crash is not null,
            CrashReason: crash,
            Corrupted: verdict == Verdict.Corrupted,
            Restarted: restarted,
            verdict,
            why);
    }
}
