using System.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Runtime.Health;

namespace Phoebe.Runtime.Tests.Health;

/// <summary>
/// Tests that measure how soon the runner gives up on a check: alone, so that a test class
/// compiling C# on the other core cannot stretch a 200 ms deadline into seconds.
/// </summary>
[CollectionDefinition(nameof(HealthTiming), DisableParallelization = true)]
public sealed class HealthTiming;

/// <summary>Running compiled checks: results, exceptions and timeouts contained, stuck checks abandoned.</summary>
[Collection(nameof(HealthTiming))]
public sealed class HealthRunnerTests
{
    // Generous: CI machines have two busy cores. What matters is that the runner does not wait for the check.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    private static Task<HealthOutcome> Run(string phb, HealthRunner? runner = null) =>
        (runner ?? new HealthRunner()).RunAsync(HealthSources.Check(phb));

    [Fact]
    public async Task Bool_check_is_healthy_or_unhealthy()
    {
        var runner = new HealthRunner(new ProcessHealthTarget(Environment.ProcessId));
        var healthy = await Run("HEALTH alive { return Target.Alive && Target.Pid == Environment.ProcessId; }", runner);
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.True(healthy.Ok);
        Assert.Null(healthy.Message);

        var unhealthy = await Run("HEALTH dead { return Target.Restarts > 0; }", runner);
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.False(unhealthy.Ok);
        Assert.False(unhealthy.TimedOut);
    }

    [Fact]
    public async Task HealthResult_check_carries_value_and_message()
    {
        var healthy = await Run("HEALTH latency { return Healthy(42.0, \"latency ms\"); }");
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(42.0, healthy.Value);
        Assert.Equal("latency ms", healthy.Message);

        var unhealthy = await Run("HEALTH queue { int length = 5120; return length < 1000 ? Healthy(length) : Unhealthy(\"queue too long\", length); }");
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.Equal(5120, unhealthy.Value);
        Assert.Equal("queue too long", unhealthy.Message);
        Assert.Equal("queue: unhealthy 5120: queue too long", unhealthy.ToString()[..unhealthy.ToString().IndexOf(" (", StringComparison.Ordinal)]);
    }

    [Fact]
    public async Task Await_and_using_declarations_run()
    {
        var awaited = await Run("HEALTH awaits { await Task.Yield(); await Delay(10); return await Task.FromResult(true); }");
        Assert.Equal(HealthStatus.Healthy, awaited.Status);
        var usings = await Run("HEALTH usings { using var m = new MemoryStream(); m.WriteByte(1); await using var w = new StreamWriter(new MemoryStream()); return m.Length == 1; }");
        Assert.Equal(HealthStatus.Healthy, usings.Status);
    }

    [Fact]
    public async Task Exception_stack_trace_names_the_check_method()
    {
        var outcome = await Run("HEALTH deep { int Divide(int a, int b) => a / b; return Divide(1, 0) > 0; }");
        Assert.Equal(HealthStatus.Failed, outcome.Status);
        Assert.Equal("DivideByZeroException: Attempted to divide by zero.", outcome.Message);
        Assert.Contains("__PhoebeHealthCheck", outcome.Exception!.StackTrace);
    }

    [Fact]
    public async Task Check_sees_its_globals_and_logs()
    {
        var stats = new HealthStats();
        stats.Injected("read_fails");
        stats.Injected("read_fails");
        var lines = new List<(string, string)>();
        var runner = new HealthRunner(ProcessHealthTarget.None, stats, (check, line) => { lock (lines) lines.Add((check, line)); });
        var outcome = await Run("HEALTH globals TIMEOUT 3s {\n" +
            "  Log($\"{CheckName} {Timeout.TotalSeconds} {Stats.Injections} {Stats.InjectionsOf(\"read_fails\")} {Stats.InjectionsOf(\"other\")}\");\n" +
            "  return !Target.Alive && Target.Pid == 0 && !Cancellation.IsCancellationRequested && Stats.Elapsed > TimeSpan.Zero;\n}", runner);
        Assert.Equal(HealthStatus.Healthy, outcome.Status);
        Assert.Equal(["globals 3 2 2 0"], outcome.Log);
        Assert.Equal([("globals", "globals 3 2 2 0")], lines);
    }

    [Fact]
    public async Task Exception_fails_the_run_with_its_type_and_message()
    {
        var outcome = await Run("HEALTH throws { throw new InvalidOperationException(\"no leader elected\"); }");
        Assert.Equal(HealthStatus.Failed, outcome.Status);
        Assert.Equal("InvalidOperationException: no leader elected", outcome.Message);
        Assert.IsType<InvalidOperationException>(outcome.Exception);

        var afterAwait = await Run("HEALTH throws_later { await Task.Yield(); int[] a = []; return a[1] > 0; }");
        Assert.Equal(HealthStatus.Failed, afterAwait.Status);
        Assert.StartsWith("IndexOutOfRangeException: ", afterAwait.Message);
    }

    [Fact]
    public async Task Null_result_fails_the_run()
    {
        var outcome = await Run("HEALTH nothing { HealthResult? r = null; return r; }");
        Assert.Equal(HealthStatus.Failed, outcome.Status);
        Assert.Contains("no result", outcome.Message);
    }

    [Fact]
    public async Task Async_void_exception_is_logged_not_fatal()
    {
        var outcome = await Run("HEALTH async_void {\n" +
            "  async void Boom() { await Task.Yield(); throw new ApplicationException(\"from async void\"); }\n" +
            "  Boom();\n  await Delay(200);\n  return true;\n}");
        Assert.Equal(HealthStatus.Healthy, outcome.Status);
        Assert.Contains(outcome.Log, l => l.Contains("ApplicationException: from async void", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cooperative_check_times_out_at_its_timeout_and_stops()
    {
        var check = HealthSources.Check("HEALTH slow TIMEOUT 300ms { await Delay(30_000); return true; }");
        var runner = new HealthRunner();
        var clock = Stopwatch.StartNew();
        var outcome = await runner.RunAsync(check);
        Assert.Equal(HealthStatus.TimedOut, outcome.Status);
        Assert.True(outcome.TimedOut);
        Assert.False(outcome.Ok);
        Assert.StartsWith("timed out after 300ms", outcome.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromMilliseconds(300) + Slack);
        // It honoured cancellation, so it stops (within the grace, or soon after on a loaded machine).
        await WaitUntil(() => !runner.IsRunning(check));
        Assert.Equal(HealthStatus.TimedOut, (await runner.RunAsync(check)).Status);
    }

    [Fact]
    public async Task Busy_loop_is_abandoned_without_blocking_other_checks()
    {
        // The loop ignores cancellation; the test releases it through Stats when done, so it does not spin for the rest of the run.
        var release = new HealthStats();
        var runner = new HealthRunner(stats: release);
        var busy = HealthSources.Check("HEALTH busy TIMEOUT 200ms { long spins = 0; while (Stats.Injections == 0) { spins++; } return true; }");
        var quick = HealthSources.Check("HEALTH quick TIMEOUT 200ms { return true; }");
        try
        {
            var clock = Stopwatch.StartNew();
            var outcome = await runner.RunAsync(busy);
            Assert.Equal(HealthStatus.TimedOut, outcome.Status);
            Assert.True(outcome.StillRunning);
            Assert.Equal("timed out after 200ms; still running (it ignores cancellation): it is not started again until it stops", outcome.Message);
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(190), TimeSpan.FromMilliseconds(200) + Slack);
            Assert.True(runner.IsRunning(busy));

            // Other checks run normally meanwhile.
            Assert.Equal(HealthStatus.Healthy, (await runner.RunAsync(quick)).Status);

            // The stuck check is not started again, and says why at once.
            clock.Restart();
            var again = await runner.RunAsync(busy);
            Assert.Equal(HealthStatus.NotStarted, again.Status);
            Assert.False(again.Ok);
            Assert.Contains("timed out and is still running", again.Message);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, Slack);
        }
        finally
        {
            release.Injected("release");
        }
        await WaitUntil(() => !runner.IsRunning(busy));
        Assert.Equal(HealthStatus.Healthy, (await runner.RunAsync(busy)).Status);
    }

    [Fact]
    public async Task Blocking_call_that_ignores_cancellation_does_not_hold_the_caller()
    {
        var runner = new HealthRunner();
        var check = HealthSources.Check("HEALTH sleeps TIMEOUT 200ms { Thread.Sleep(1500); return true; }");
        var clock = Stopwatch.StartNew();
        var outcome = await runner.RunAsync(check);
        Assert.Equal(HealthStatus.TimedOut, outcome.Status);
        Assert.True(outcome.StillRunning);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromMilliseconds(200) + Slack);
        await WaitUntil(() => !runner.IsRunning(check), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Many_stuck_checks_do_not_starve_the_thread_pool()
    {
        var runner = new HealthRunner();
        var checks = Enumerable.Range(0, 8).Select(i => HealthSources.Check($"HEALTH stuck{i} TIMEOUT 100ms {{ Thread.Sleep(2000); return true; }}")).ToArray();
        var outcomes = await Task.WhenAll(checks.Select(c => runner.RunAsync(c)));
        Assert.All(outcomes, o => Assert.Equal(HealthStatus.TimedOut, o.Status));
        // The pool still runs work promptly: the stuck checks hold only their own threads.
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 2).Select(_ => Task.Run(() => Thread.Sleep(10))));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Slack);
    }

    [Fact]
    public async Task Stopping_the_run_cancels_the_check()
    {
        var runner = new HealthRunner();
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var outcome = await runner.RunAsync(HealthSources.Check("HEALTH long TIMEOUT 10s { await Delay(30_000); return true; }"), stop.Token);
        Assert.Equal(HealthStatus.Cancelled, outcome.Status);
        Assert.False(outcome.Ok);
    }

    [Fact]
    public async Task Delegate_checks_run_like_compiled_ones()
    {
        var plan = new HealthCheckPlan("native", new SourceLocation("<test>", 1, 1), "",
            new SourceLocation("<test>", 1, 1), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500));
        var check = CompiledHealthCheck.FromDelegate(plan, async context =>
        {
            await context.Delay(1);
            return context.Healthy(7);
        });
        var outcome = await new HealthRunner().RunAsync(check);
        Assert.Equal(HealthStatus.Healthy, outcome.Status);
        Assert.Equal(7, outcome.Value);
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan? limit = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < (limit ?? TimeSpan.FromSeconds(5)), "condition not met in time");
            await Task.Delay(10);
        }
    }
}
