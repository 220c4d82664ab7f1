using System.Diagnostics;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Monitoring;

namespace Phoebe.Runtime.Metrics;

/// <summary>
/// Feeds the metrics of <c>phoebe run</c> and <c>phoebe attach</c> (docs/metrics.md): once per interval, on a thread
/// of its own, it reads the injection engine's counters and then collects the eBPF monitor's natural counts, and
/// adds both to <see cref="Metrics"/>. Without eBPF it goes on with the engine's counters alone
/// (<see cref="NaturalCountsAbsent"/> says why).
/// </summary>
/// <remarks>
/// The engine is read before the monitor: an EXIT injection is counted by the monitor (its natural result, at the
/// kernel's sys_exit) before the tracer's exit stop counts it in the engine, so an interval never holds an injected
/// error whose call falls into the next one.
/// </remarks>
public sealed class InjectionMetricsSampler : IDisposable
{
    private readonly TimeSpan interval;
    private readonly object sampleGate = new();
    private readonly ManualResetEventSlim stopping = new();
    private SyscallMonitor? monitor;
    private InjectionEngine? engine;
    private Thread? thread;
    private int execs;
    private long uncounted, unfollowed;
    private bool stopped;

    /// <summary>Creates a sampler adding to <paramref name="metrics"/> every <paramref name="interval"/>.</summary>
    public InjectionMetricsSampler(ObservationMetrics metrics, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "the interval must be positive");
        Metrics = metrics;
        this.interval = interval;
    }

    /// <summary>The metrics it adds to.</summary>
    public ObservationMetrics Metrics { get; }

    /// <summary>Why the metrics have no natural counts (eBPF unavailable, or the monitor failed), or null while they have.</summary>
    public string? NaturalCountsAbsent { get; private set; }

    /// <summary>Calls the monitor could not count because its kernel maps were full (see <see cref="SyscallCounts.Uncounted"/>).</summary>
    public long Uncounted => Interlocked.Read(ref uncounted);

    /// <summary>Forked processes the monitor did not follow because its process map was full.</summary>
    public long Unfollowed => Interlocked.Read(ref unfollowed);

    /// <summary>
    /// Loads the eBPF monitor, watching no process yet (<see cref="Follow"/> adds them); false, with
    /// <see cref="NaturalCountsAbsent"/> saying why, when eBPF cannot be used here.
    /// </summary>
    /// <remarks>
    /// The monitor needs a process to start on: a placeholder <c>sleep infinity</c>, started and waited for until it
    /// sleeps, then killed. Its sleep was running when the monitor attached, so it is never counted, and a killed
    /// process makes no further call: the monitor counts nothing until a process is followed.
    /// </remarks>
    public bool TryStartMonitor()
    {
        if (ObservationTargets.Spawn(["sleep", "infinity"], out int placeholder) != 0)
        {
            NaturalCountsAbsent = "cannot start the eBPF monitor: cannot run a placeholder process (sleep infinity)";
            return false;
        }
        // Its start-up calls must be over before the monitor starts: wait until it sleeps.
        for (int i = 0; i < 1000 && ObservationTargets.State(placeholder) != 'S'; i++) Thread.Sleep(1);
        try
        {
            monitor = SyscallMonitor.Start(placeholder);
            return true;
        }
        catch (MonitorUnavailableException e)
        {
            NaturalCountsAbsent = FirstLine(e.Message);
            return false;
        }
        finally
        {
            ObservationTargets.Signal(placeholder, 9);
            while (ObservationTargets.TryReap(placeholder) is null) Thread.Sleep(1);
        }
    }

    /// <summary>Counts the calls of process <paramref name="pid"/> and of the children it forks from now on (thread-safe).</summary>
    public void Follow(int pid)
    {
        var m = monitor;
        if (m is null) return;
        try
        {
            m.AddProcess(pid);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            lock (sampleGate)
            {
                NaturalCountsAbsent ??= $"the eBPF monitor could not follow process {pid}: {FirstLine(e.Message)}";
                monitor = null;
            }
        }
    }

    /// <summary>
    /// For <see cref="InjectionOptions.BeforeExec"/> of a launched target: follows the process of the first
    /// <c>execve</c>, the launcher's exec of the command, from that call on. The command's children are followed
    /// by the monitor as they are forked, so later execs need nothing.
    /// </summary>
    public void OnExec(int pid)
    {
        if (Interlocked.Exchange(ref execs, 1) == 0) Follow(pid);
    }

    /// <summary>Starts sampling <paramref name="injectionEngine"/> (and the monitor, if loaded) once per interval.</summary>
    public void Start(InjectionEngine injectionEngine)
    {
        ArgumentNullException.ThrowIfNull(injectionEngine);
        if (thread != null) throw new InvalidOperationException("the sampler is already started");
        engine = injectionEngine;
        // The engine's rules and their zero counters, before the first interval ends.
        Metrics.Add(null, InjectionCounts.Read(injectionEngine));
        thread = new Thread(Loop) { Name = "phoebe-metrics", IsBackground = true };
        thread.Start();
    }

    /// <summary>
    /// Stops sampling and adds the last, partial interval: what happened since the last sample is in the metrics
    /// when this returns. The monitor is detached.
    /// </summary>
    public void Stop()
    {
        lock (sampleGate)
        {
            if (stopped) return;
            stopped = true;
        }
        stopping.Set();
        thread?.Join();
        lock (sampleGate)
        {
            Sample(final: true);
            monitor?.Dispose();
            monitor = null;
        }
    }

    /// <summary>Stops (see <see cref="Stop"/>) and frees the monitor.</summary>
    public void Dispose()
    {
        Stop();
        stopping.Dispose();
    }

    private void Loop()
    {
        var clock = Stopwatch.StartNew();
        TimeSpan next = interval;
        while (true)
        {
            TimeSpan wait = next - clock.Elapsed;
            if (stopping.Wait(wait > TimeSpan.Zero ? wait : TimeSpan.Zero)) return;
            lock (sampleGate) Sample(final: false);
            while (next <= clock.Elapsed) next += interval;
        }
    }

    /// <summary>Adds one interval; under <see cref="sampleGate"/>.</summary>
    private void Sample(bool final)
    {
        var injected = engine is null ? null : InjectionCounts.Read(engine);
        SyscallCounts? natural = null;
        if (monitor != null)
        {
            try
            {
                natural = monitor.Collect();
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                NaturalCountsAbsent ??= $"the eBPF monitor failed: {FirstLine(e.Message)}";
                monitor.Dispose();
                monitor = null;
            }
        }
        if (natural != null)
        {
            uncounted += natural.Uncounted;
            unfollowed += natural.Unfollowed;
            // A last, partial interval with no call would only turn every rate to 0.
            if (final && natural.Counters.Count == 0) natural = null;
        }
        Metrics.Add(natural, injected);
    }

    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }
}
