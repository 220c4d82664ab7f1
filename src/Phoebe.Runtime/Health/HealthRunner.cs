using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Phoebe.Lang.Plan;

namespace Phoebe.Runtime.Health;

/// <summary>
/// Runs compiled health checks, each run on a thread of its own, within the
/// check's TIMEOUT. Nothing a check does in managed code can block or crash the
/// caller: an exception fails the run with its type and message; at the TIMEOUT
/// the check's <c>Cancellation</c> is cancelled, its connections and processes are
/// closed, and the runner returns at once. A check that ignores all that keeps
/// running on its own thread and is not started again until it stops
/// (<see cref="HealthStatus.NotStarted"/>). docs/health.md says what cannot be
/// contained (stack overflow, <c>Environment.Exit</c>).
/// </summary>
public sealed class HealthRunner
{
    /// <summary>The TIMEOUT of a check that gives none (the language's default).</summary>
    public static TimeSpan DefaultTimeout => Planner.DefaultTimeout;

    /// <summary>How long the runner waits, after the TIMEOUT, for a cancelled check to stop before calling it still running.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(100);

    private readonly IHealthTarget target;
    private readonly IHealthStats stats;
    private readonly Action<string, string>? log;
    private readonly ConcurrentDictionary<CompiledHealthCheck, Run> running = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// A runner whose checks see <paramref name="target"/> and <paramref name="stats"/>;
    /// <paramref name="log"/> receives (check name, line) for every <c>Log</c> call.
    /// </summary>
    public HealthRunner(IHealthTarget? target = null, IHealthStats? stats = null, Action<string, string>? log = null)
    {
        this.target = target ?? ProcessHealthTarget.None;
        this.stats = stats ?? HealthStats.None;
        this.log = log;
    }

    /// <summary>True while a run of <paramref name="check"/> has not stopped (including an abandoned one).</summary>
    public bool IsRunning(CompiledHealthCheck check) => running.TryGetValue(check, out var run) && !run.Task.IsCompleted;

    /// <summary>
    /// Runs <paramref name="check"/> once. Returns when it finishes, or at its TIMEOUT
    /// (plus at most <see cref="Grace"/>), or when <paramref name="cancellation"/> fires.
    /// Never throws for anything the check does.
    /// </summary>
    public async Task<HealthOutcome> RunAsync(CompiledHealthCheck check, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(check);
        var clock = Stopwatch.StartNew();
        if (running.TryGetValue(check, out var previous) && !previous.Task.IsCompleted)
        {
            string why = previous.TimedOut
                ? $"not started: its run of {Format(previous.Clock.Elapsed)} ago timed out and is still running (it ignores cancellation)"
                : $"not started: its run of {Format(previous.Clock.Elapsed)} ago is still running";
            return new HealthOutcome(check.Name, HealthStatus.NotStarted, null, why, TimeSpan.Zero, null, true, []);
        }

        var timeout = check.Timeout > TimeSpan.Zero ? check.Timeout : DefaultTimeout;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var context = new HealthContext(check.Name, target, stats, timeout, cts.Token,
            log is null ? null : line => log(check.Name, line));
        var run = new Run(HealthThread.Start(check, context), clock);
        running[check] = run;
        _ = run.Task.ContinueWith(t =>
        {
            // The run is over, even if long after the runner stopped waiting: release everything.
            _ = t.Exception;
            context.Close();
            cts.Dispose();
            running.TryRemove(new KeyValuePair<CompiledHealthCheck, Run>(check, run));
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        using (var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
        {
            var deadline = Task.Delay(timeout, stopWaiting.Token);
            bool finished = await Task.WhenAny(run.Task, deadline).ConfigureAwait(false) == run.Task;
            // Releases the deadline's timer when the check finished first.
            stopWaiting.Cancel();
            if (finished) return Finished(check, run.Task, context, clock.Elapsed, cancellation);
        }

        // Past the deadline (or stopped from outside): cancel, close what the helpers opened, and stop waiting soon.
        bool stopped = cancellation.IsCancellationRequested;
        run.TimedOut = !stopped;
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It finished meanwhile.
        }
        context.Close();
        await Task.WhenAny(run.Task, Task.Delay(Grace, CancellationToken.None)).ConfigureAwait(false);
        bool stillRunning = !run.Task.IsCompleted;
        string message = stopped ? "stopped before it finished" : $"timed out after {Format(timeout)}";
        if (stillRunning) message += "; still running (it ignores cancellation): it is not started again until it stops";
        return new HealthOutcome(check.Name, stopped ? HealthStatus.Cancelled : HealthStatus.TimedOut, null, message,
            clock.Elapsed, null, stillRunning, context.LogLines);
    }

    private static HealthOutcome Finished(CompiledHealthCheck check, Task<HealthResult?> task, HealthContext context, TimeSpan duration, CancellationToken cancellation)
    {
        var log = context.LogLines;
        if (task.IsCompletedSuccessfully)
        {
            if (task.Result is not { } result)
            {
                return new HealthOutcome(check.Name, HealthStatus.Failed, null, "the check returned no result (null)", duration, null, false, log);
            }
            return new HealthOutcome(check.Name, result.Ok ? HealthStatus.Healthy : HealthStatus.Unhealthy,
                result.Value, result.Message, duration, null, false, log);
        }
        var e = Unwrap(task.Exception!);
        if (e is OperationCanceledException && cancellation.IsCancellationRequested)
        {
            return new HealthOutcome(check.Name, HealthStatus.Cancelled, null, "stopped before it finished", duration, e, false, log);
        }
        return new HealthOutcome(check.Name, HealthStatus.Failed, null, Describe(e), duration, e, false, log);
    }

    /// <summary>An exception as a health-check failure message: <c>InvalidOperationException: message</c>.</summary>
    public static string Describe(Exception e)
    {
        e = Unwrap(e);
        return $"{e.GetType().Name}: {e.Message}";
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a: e = a.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                default: return e;
            }
        }
    }

    /// <summary>A duration as the language writes it: <c>500ms</c>, <c>1s</c>, <c>1.5s</c>.</summary>
    internal static string Format(TimeSpan t) => t.TotalSeconds >= 1
        ? t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
        : t.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture) + "ms";

    /// <summary>One run in progress.</summary>
    private sealed class Run(Task<HealthResult?> task, Stopwatch clock)
    {
        public Task<HealthResult?> Task { get; } = task;

        public Stopwatch Clock { get; } = clock;

        public volatile bool TimedOut;
    }
}
