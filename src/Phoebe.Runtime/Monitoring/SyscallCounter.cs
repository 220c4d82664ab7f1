namespace Phoebe.Runtime.Monitoring;

/// <summary>
/// The calls of one syscall that ended with one result during an interval,
/// summed over the monitored processes and CPUs.
/// </summary>
/// <param name="Syscall">The syscall number of the machine's architecture.</param>
/// <param name="Errno">0 for calls that succeeded, the errno for calls that failed.</param>
/// <param name="Count">How many calls ended with this result.</param>
/// <param name="LatencySumNs">The sum of their latencies (entry to exit), in nanoseconds.</param>
/// <param name="Histogram">
/// The calls by latency: bucket <c>i</c> counts latencies in [2^i, 2^(i+1)) ns (bucket 0 also holds 0 and 1 ns,
/// the last bucket everything above); <see cref="SyscallMonitor.HistogramBuckets"/> buckets summing to <paramref name="Count"/>.
/// </param>
public sealed record SyscallCounter(int Syscall, int Errno, long Count, long LatencySumNs, IReadOnlyList<long> Histogram)
{
    /// <summary>Whether these calls succeeded.</summary>
    public bool Succeeded => Errno == 0;

    /// <summary>The mean latency in nanoseconds.</summary>
    public double MeanLatencyNs => Count == 0 ? 0 : (double)LatencySumNs / Count;
}

/// <summary>What one <see cref="SyscallMonitor.Collect"/> returned: the counters of the interval and what the kernel side could not record.</summary>
/// <param name="Counters">One per (syscall, result) seen in the interval, ordered by syscall then errno.</param>
/// <param name="Uncounted">
/// Calls not counted because a kernel map was full: 1024 distinct (syscall, errno) failures over the whole
/// run, or 32768 threads of monitored processes at once. Zero unless something is wrong.
/// </param>
/// <param name="Unfollowed">Forked processes not followed because the process map (8192) was full.</param>
public sealed record SyscallCounts(IReadOnlyList<SyscallCounter> Counters, long Uncounted, long Unfollowed)
{
    /// <summary>The counter of (<paramref name="syscall"/>, <paramref name="errno"/>), or null.</summary>
    public SyscallCounter? Find(int syscall, int errno) => Counters.FirstOrDefault(c => c.Syscall == syscall && c.Errno == errno);
}
