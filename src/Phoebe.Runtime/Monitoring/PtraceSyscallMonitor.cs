using System.Diagnostics;
using System.Numerics;
using System.Runtime.ExceptionServices;
using Phoebe.Runtime.Injection;

namespace Phoebe.Runtime.Monitoring;

/// <summary>
/// Counts the system calls of a launched command or of running processes with ptrace, per
/// (syscall, result), with latency: the same <see cref="SyscallCounts"/> as the eBPF
/// <see cref="SyscallMonitor"/>, for machines where eBPF cannot run. A <see cref="PtraceSession"/>
/// stops every call at its entry and its exit, so the counts and rates are right but the target runs
/// far slower (two ptrace stops per call). Children and threads are followed as they are created.
/// </summary>
/// <remarks>
/// The same calls are counted as by the eBPF monitor: those whose entry and exit the tracer saw. Not a
/// call that was running when the tracer attached (it is interrupted by the attach and, if restarted, the
/// restart is not counted either), nor a new child's return from fork, nor <c>exit</c> and
/// <c>exit_group</c>, which never return. A launched command is counted from its <c>execve</c> on (the
/// launcher's calls are not), with nothing missed at its start. Latencies run from the tracer seeing the
/// entry stop to it seeing the exit stop, so they include about one stop's cost.
/// </remarks>
public sealed class PtraceSyscallMonitor : ISyscallSource
{
    private static readonly TimeSpan DetachTimeout = TimeSpan.FromSeconds(30);

    private readonly PtraceSession session;
    private readonly object gate = new();
    private Dictionary<(int Syscall, int Errno), Totals> totals = [];
    private Task<int?> tracer = Task.FromResult<int?>(null);
    private int disposed;

    private PtraceSyscallMonitor()
    {
        session = PtraceSession.ForObservation(Count);
    }

    /// <summary>
    /// Starts <paramref name="command"/> under the tracer (through the native launcher, with no seccomp filter)
    /// and counts its calls and those of every process it creates. Returns once the launcher is traced; the
    /// command may have failed to start by then (<see cref="CommandStarted"/>, <see cref="ExitCode"/>).
    /// </summary>
    /// <exception cref="InjectionException">The command cannot be started or traced; the message says why.</exception>
    public static PtraceSyscallMonitor Launch(LaunchSpec command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var monitor = new PtraceSyscallMonitor();
        monitor.Start(s => s.Run(command) is var code and >= 0 ? code : null);
        return monitor;
    }

    /// <summary>
    /// Attaches to every thread of each of <paramref name="pids"/> and counts their calls and those of the
    /// processes and threads they create from now on, until <see cref="Dispose"/> detaches (the processes
    /// then go on untraced and running) or they have all exited.
    /// </summary>
    /// <exception cref="InjectionException">
    /// A process is missing, already traced, or cannot be traced (permissions); the message says which.
    /// Nothing stays attached then.
    /// </exception>
    public static PtraceSyscallMonitor Attach(IReadOnlyList<int> pids)
    {
        ArgumentNullException.ThrowIfNull(pids);
        if (pids.Count == 0) throw new ArgumentException("no process to observe", nameof(pids));
        var monitor = new PtraceSyscallMonitor();
        monitor.Start(s => s.Attach(pids, duration: null));
        return monitor;
    }

    /// <summary>The launched command's pid, or the first attached process's.</summary>
    public int RootPid => session.RootPid;

    /// <summary>True once the tracer has ended: every traced process exited, or it detached.</summary>
    public bool HasEnded => tracer.IsCompleted;

    /// <summary>
    /// Once <see cref="HasEnded"/>: the launched command's exit code (128 + N when signal N killed it), or the
    /// first attached process's, if it exited while traced; null before, after detaching from it while it
    /// ran, or when the tracer failed.
    /// </summary>
    public int? ExitCode => tracer.IsCompletedSuccessfully ? tracer.Result : null;

    /// <summary>Whether the launched command started: the launcher's <c>execve</c> of it succeeded.</summary>
    public bool CommandStarted => session.TargetExecuted;

    /// <summary>Why the tracer stopped early, if it failed (not for a target that exited).</summary>
    public Exception? Failure => tracer.Exception?.InnerException;

    /// <summary>
    /// Returns the counts of the calls that ended since the last call (or since the tracer started) and
    /// starts a new interval; thread-safe against the tracer.
    /// </summary>
    public SyscallCounts Collect()
    {
        Dictionary<(int Syscall, int Errno), Totals> interval;
        lock (gate)
        {
            interval = totals;
            totals = [];
        }
        var counters = interval
            .Select(p => new SyscallCounter(p.Key.Syscall, p.Key.Errno, p.Value.Count, p.Value.LatencySumNs, p.Value.Histogram))
            .OrderBy(c => c.Syscall).ThenBy(c => c.Errno)
            .ToList();
        return new SyscallCounts(counters, 0, 0);
    }

    /// <summary>
    /// Ends tracing: the processes still traced, attached ones and a launched command alike, are detached
    /// and go on running as if never traced (as with the eBPF monitor). Counts not collected stay
    /// available to <see cref="Collect"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (!tracer.IsCompleted) session.Detach();
        try
        {
            tracer.Wait(DetachTimeout);
        }
        catch (AggregateException)
        {
            // Reported through Failure.
        }
    }

    private void Start(Func<PtraceSession, int?> body)
    {
        tracer = Task.Factory.StartNew(() => body(session), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Task.WaitAny(session.Tracing, tracer);
        if (tracer.IsFaulted) ExceptionDispatchInfo.Capture(tracer.Exception!.InnerException!).Throw();
    }

    /// <summary>Counts one call (on the tracer thread).</summary>
    private void Count(TracedSyscall call)
    {
        // As the BPF program: -4095..-1 is an errno, anything else a success.
        int errno = call.Return is >= -4095 and <= -1 ? (int)-call.Return : 0;
        long ticks = Math.Max(0, call.ExitTimestamp - call.EntryTimestamp);
        long ns = Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));
        int bucket = ns <= 1 ? 0 : Math.Min(BitOperations.Log2((ulong)ns), SyscallMonitor.HistogramBuckets - 1);
        lock (gate)
        {
            if (!totals.TryGetValue((call.Number, errno), out var t)) totals[(call.Number, errno)] = t = new Totals();
            t.Count++;
            t.LatencySumNs += ns;
            t.Histogram[bucket]++;
        }
    }

    /// <summary>One (syscall, result)'s calls in the current interval.</summary>
    private sealed class Totals
    {
        public long Count;
        public long LatencySumNs;
        public readonly long[] Histogram = new long[SyscallMonitor.HistogramBuckets];
    }
}
