using System.Runtime.InteropServices;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Monitoring;

/// <summary>
/// Counts the system calls of a process and its descendants with eBPF, per
/// (syscall, result), with latency: native/phoebe-monitor.bpf.c on the
/// raw_syscalls tracepoints, loaded through libbpf. The kernel side adds
/// children as they are forked; <see cref="Collect"/> reads and resets the
/// counters (one interval each). Needs CAP_BPF and CAP_PERFMON (or root) and
/// libbpf1. Dispose detaches it; the target is never stopped or changed.
/// </summary>
public sealed class SyscallMonitor : ISyscallSource
{
    /// <summary>The file name of the compiled BPF object, shipped next to the assemblies.</summary>
    public const string ObjectFileName = "phoebe-monitor.bpf.o";

    /// <summary>Latency histogram buckets (log2 of nanoseconds), as in the BPF program.</summary>
    public const int HistogramBuckets = 32;

    // As in the BPF program. Value layout of `successes` and `failures`:
    // count, latency_ns, hist[32] (all u64, per CPU).
    private const int MaxSyscalls = 512;
    private const int StatsWords = 2 + HistogramBuckets;
    private const int LostSlots = 3;
    private const int CandidateSlots = 65536;

    private static readonly string[] Programs = ["phoebe_sys_enter", "phoebe_sys_exit", "phoebe_fork", "phoebe_exit"];

    private readonly BpfObjectHandle bpfObject;
    private readonly List<BpfLinkHandle> links = [];
    private readonly int tracedFd, candidatesFd, successesFd, failuresFd, lostFd;
    private readonly int cpus;
    // The kernel's counters only grow; these are their values at the last Collect.
    private readonly Dictionary<(int Syscall, int Errno), Totals> previous = [];
    private readonly long[] previousLost = new long[LostSlots];
    private readonly object gate = new();
    private bool disposed;

    private SyscallMonitor(BpfObjectHandle bpfObject, int tracedFd, int candidatesFd, int successesFd, int failuresFd, int lostFd, int cpus)
    {
        this.bpfObject = bpfObject;
        this.tracedFd = tracedFd;
        this.candidatesFd = candidatesFd;
        this.successesFd = successesFd;
        this.failuresFd = failuresFd;
        this.lostFd = lostFd;
        this.cpus = cpus;
    }

    /// <summary>
    /// Loads and attaches the monitor and starts counting the syscalls of process <paramref name="pid"/>,
    /// of its current descendants and of every process they fork from now on.
    /// </summary>
    /// <param name="pid">The process (thread group id) to monitor.</param>
    /// <param name="objectPath">The BPF object; <see cref="ObjectFileName"/> next to the assemblies when null.</param>
    /// <exception cref="MonitorUnavailableException">eBPF cannot be used here; the message says why and what to install or grant.</exception>
    /// <exception cref="ArgumentException">There is no process <paramref name="pid"/>.</exception>
    public static SyscallMonitor Start(int pid, string? objectPath = null)
    {
        if (pid <= 0 || !Directory.Exists($"/proc/{pid}")) throw new ArgumentException($"no process {pid}", nameof(pid));
        var monitor = Load(objectPath ?? Path.Combine(AppContext.BaseDirectory, ObjectFileName));
        try
        {
            monitor.AddProcessTree(pid);
            return monitor;
        }
        catch
        {
            monitor.Dispose();
            throw;
        }
    }

    /// <summary>Also counts process <paramref name="pid"/> (and the children it forks from now on).</summary>
    public void AddProcess(int pid)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            Check(UpdateTraced(pid), $"adding process {pid} to the monitor");
        }
    }

    /// <summary>
    /// Returns the counts of the calls that ended since the last call (or since <see cref="Start"/>), summed
    /// over CPUs: an interval. Also forgets monitored processes that have exited.
    /// </summary>
    /// <remarks>
    /// The kernel's counters only grow and this subtracts the previous reading, so no call is lost between
    /// two intervals. A call is counted when the monitor saw both its entry and its exit: not a call that was
    /// running when the monitor started, nor a new child's return from fork (its parent made that call).
    /// </remarks>
    public SyscallCounts Collect()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var counters = CollectStats();
            var lost = CollectLost();
            PruneExited();
            return new SyscallCounts(counters, lost[0] + lost[1], lost[2]);
        }
    }

    /// <summary>Detaches the programs and frees the maps; counts not collected are lost.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            foreach (var link in links) link.Dispose();
            bpfObject.Dispose();
        }
    }

    private static SyscallMonitor Load(string objectPath)
    {
        if (!File.Exists(objectPath))
        {
            throw new MonitorUnavailableException(MonitorUnavailableReason.ObjectMissing,
                $"the eBPF monitor {objectPath} is missing: Phoebe's installation is incomplete (it ships native/{ObjectFileName}); reinstall or rebuild Phoebe");
        }
        if (!LibBpf.IsAvailable(out string? why))
        {
            throw new MonitorUnavailableException(MonitorUnavailableReason.LibraryMissing,
                $"the eBPF monitor needs libbpf (libbpf.so.1: {why}): install libbpf1 (apt-get install libbpf1; Debian's iproute2 brings it)");
        }
        string tracefs = TraceFs.EnsureMounted();
        int childPidOffset = TraceFs.FieldOffset(tracefs, "sched", "sched_process_fork", "child_pid")
            ?? throw new MonitorUnavailableException(MonitorUnavailableReason.Kernel,
                $"cannot read the layout of the sched:sched_process_fork tracepoint in {tracefs}: children could not be followed");

        BpfObjectHandle? obj = null;
        SyscallMonitor? monitor = null;
        try
        {
            using var messages = LibBpf.CaptureMessages();
            int errno;
            obj = LibBpf.ObjectOpenFile(objectPath, out errno);
            if (obj.IsInvalid) throw Failure(errno, $"cannot open {objectPath}", messages.Text);

            int rc = LibBpf.ObjectLoad(obj);
            if (rc < 0) throw Failure(-rc, "the kernel refused to load the eBPF monitor", messages.Text);

            int cpus = LibBpf.NumPossibleCpus();
            if (cpus <= 0) throw Failure(-cpus, "cannot count the possible CPUs", messages.Text);

            monitor = new SyscallMonitor(obj, MapFd(obj, "traced"), MapFd(obj, "candidates"), MapFd(obj, "successes"), MapFd(obj, "failures"), MapFd(obj, "lost"), cpus);
            monitor.Configure(MapFd(obj, "config"), childPidOffset);

            foreach (var name in Programs)
            {
                IntPtr program = LibBpf.ObjectFindProgramByName(obj, name);
                if (program == IntPtr.Zero) throw new InvalidOperationException($"{objectPath} has no program {name}");
                var link = LibBpf.ProgramAttach(program, out errno);
                if (link.IsInvalid) throw Failure(errno, $"cannot attach {name} to its tracepoint", messages.Text);
                monitor.links.Add(link);
            }
            return monitor;
        }
        catch
        {
            if (monitor != null) monitor.Dispose();
            else obj?.Dispose();
            throw;
        }
    }

    private static int MapFd(BpfObjectHandle obj, string name)
    {
        IntPtr map = LibBpf.ObjectFindMapByName(obj, name);
        int fd = map == IntPtr.Zero ? -1 : LibBpf.MapFd(map);
        return fd >= 0 ? fd : throw new InvalidOperationException($"the eBPF monitor has no map {name}");
    }

    private static Exception Failure(int errno, string what, string libbpfMessages)
    {
        // libbpf's own guesses (RLIMIT_MEMLOCK, CONFIG_BPF_SYSCALL) mislead when privileges are what is missing.
        if (errno is LibC.EPERM or LibC.EACCES)
        {
            return new MonitorUnavailableException(MonitorUnavailableReason.Permission, $"{what}: eBPF needs CAP_BPF and CAP_PERFMON (or root)");
        }
        string detail = LastLines(libbpfMessages, 12);
        return new MonitorUnavailableException(MonitorUnavailableReason.Kernel,
            $"{what}: {LibC.StrError(errno)}" + (detail.Length > 0 ? "\n" + detail : ""));
    }

    private static string LastLines(string text, int count)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - count)).Select(l => l.StartsWith("libbpf: ", StringComparison.Ordinal) ? l : "libbpf: " + l));
    }

    private static void Check(int rc, string what)
    {
        if (rc < 0) throw new InvalidOperationException($"{what}: {LibC.StrError(-rc)}");
    }

    private unsafe void Configure(int configFd, int childPidOffset)
    {
        uint key = 0, value = (uint)childPidOffset;
        Check(LibBpf.MapUpdateElem(configFd, &key, &value, LibBpf.BPF_ANY), "configuring the eBPF monitor");
    }

    private unsafe int UpdateTraced(int pid)
    {
        // The candidate slot first: the programs look at it before the hash map.
        uint key = (uint)pid, slot = key & (CandidateSlots - 1);
        byte one = 1;
        int rc = LibBpf.MapUpdateElem(candidatesFd, &slot, &one, LibBpf.BPF_ANY);
        return rc != 0 ? rc : LibBpf.MapUpdateElem(tracedFd, &key, &one, LibBpf.BPF_ANY);
    }

    // The target first, so that what it forks from now on is followed by the
    // kernel side; then the descendants it already had.
    private void AddProcessTree(int pid)
    {
        AddProcess(pid);
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int p)) continue;
            int ppid = ParentOf(p);
            if (ppid <= 0) continue;
            if (!children.TryGetValue(ppid, out var list)) children[ppid] = list = [];
            list.Add(p);
        }
        var pending = new Stack<int>([pid]);
        var seen = new HashSet<int> { pid };
        while (pending.Count > 0)
        {
            if (!children.TryGetValue(pending.Pop(), out var list)) continue;
            foreach (int child in list)
            {
                if (!seen.Add(child)) continue;
                UpdateTraced(child); // it may have exited meanwhile: nothing to count then
                pending.Push(child);
            }
        }
    }

    /// <summary>The parent pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold spaces and parentheses), or -1.</summary>
    private static int ParentOf(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
        int close = stat.LastIndexOf(')');
        if (close < 0) return -1;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], out int ppid) ? ppid : -1;
    }

    /// <summary>One (syscall, result)'s counters summed over CPUs, since the monitor started.</summary>
    private sealed record Totals(long Count, long LatencySumNs, long[] Histogram);

    private List<SyscallCounter> CollectStats()
    {
        var totals = new Dictionary<(int, int), Totals>();
        ReadSuccesses(totals);
        ReadFailures(totals);

        var counters = new List<SyscallCounter>();
        foreach (var (key, now) in totals)
        {
            var before = previous.GetValueOrDefault(key);
            previous[key] = now;
            long count = now.Count - (before?.Count ?? 0);
            if (count == 0) continue;
            var histogram = new long[HistogramBuckets];
            for (int b = 0; b < HistogramBuckets; b++) histogram[b] = now.Histogram[b] - (before?.Histogram[b] ?? 0);
            counters.Add(new SyscallCounter(key.Item1, key.Item2, count, now.LatencySumNs - (before?.LatencySumNs ?? 0), histogram));
        }
        counters.Sort((a, b) => a.Syscall != b.Syscall ? a.Syscall.CompareTo(b.Syscall) : a.Errno.CompareTo(b.Errno));
        return counters;
    }

    private unsafe void ReadSuccesses(Dictionary<(int, int), Totals> totals)
    {
        var values = new ulong[cpus * StatsWords];
        fixed (ulong* v = values)
        {
            for (uint nr = 0; nr < MaxSyscalls; nr++)
            {
                uint key = nr;
                Check(LibBpf.MapLookupElem(successesFd, &key, v), "reading the syscall counters");
                var sum = Sum(v);
                if (sum.Count > 0) totals[((int)nr, 0)] = sum;
            }
        }
    }

    private unsafe void ReadFailures(Dictionary<(int, int), Totals> totals)
    {
        var values = new ulong[cpus * StatsWords];
        ulong key, next;
        fixed (ulong* v = values)
        {
            // Keys are never deleted, so walking the map is stable.
            int rc = LibBpf.MapGetNextKey(failuresFd, null, &next);
            while (rc == 0)
            {
                key = next;
                Check(LibBpf.MapLookupElem(failuresFd, &key, v), "reading the syscall counters");
                // struct syscall_result { u32 nr; u32 result; }, read as one little-endian u64.
                totals[((int)(uint)key, (int)(uint)(key >> 32))] = Sum(v);
                rc = LibBpf.MapGetNextKey(failuresFd, &key, &next);
            }
            if (rc != -LibC.ENOENT) Check(rc, "reading the syscall counters");
        }
    }

    private unsafe Totals Sum(ulong* values)
    {
        long count = 0, latency = 0;
        var histogram = new long[HistogramBuckets];
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            ulong* s = values + cpu * StatsWords;
            count += (long)s[0];
            latency += (long)s[1];
            for (int b = 0; b < HistogramBuckets; b++) histogram[b] += (long)s[2 + b];
        }
        return new Totals(count, latency, histogram);
    }

    private unsafe long[] CollectLost()
    {
        var delta = new long[LostSlots];
        var values = new ulong[cpus];
        fixed (ulong* v = values)
        {
            for (uint slot = 0; slot < LostSlots; slot++)
            {
                uint key = slot;
                if (LibBpf.MapLookupElem(lostFd, &key, v) != 0) continue;
                long sum = 0;
                for (int cpu = 0; cpu < cpus; cpu++) sum += (long)v[cpu];
                delta[slot] = sum - previousLost[slot];
                previousLost[slot] = sum;
            }
        }
        return delta;
    }

    // A leader's tgid stays in `traced` when it exits (its threads may live on);
    // forget the processes that are gone, so a reused pid is not counted.
    private unsafe void PruneExited()
    {
        var gone = new List<uint>();
        uint key, next;
        int rc = LibBpf.MapGetNextKey(tracedFd, null, &next);
        while (rc == 0)
        {
            if (!Directory.Exists($"/proc/{next}")) gone.Add(next);
            key = next;
            rc = LibBpf.MapGetNextKey(tracedFd, &key, &next);
        }
        foreach (uint g in gone)
        {
            key = g;
            LibBpf.MapDeleteElem(tracedFd, &key);
        }
    }

}
