namespace Phoebe.Runtime.Monitoring;

/// <summary>
/// Counts the syscalls of observed processes per (syscall, result), one interval per <see cref="Collect"/>:
/// the eBPF <see cref="SyscallMonitor"/>, or the ptrace-based <see cref="PtraceSyscallMonitor"/> where eBPF
/// cannot run. Both count the same calls: those whose entry and exit they saw, in the observed processes
/// and every process or thread they create.
/// </summary>
public interface ISyscallSource : IDisposable
{
    /// <summary>
    /// Returns the counts of the calls that ended since the last call (or since counting started) and
    /// starts a new interval. Safe to call while the target runs.
    /// </summary>
    SyscallCounts Collect();
}
