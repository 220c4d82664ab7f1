using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>The one place that decides whether this machine can run the eBPF monitor.</summary>
internal static class Ebpf
{
    /// <summary>Starts the monitor on <paramref name="pid"/>; skips the test, saying why, only where the machine cannot run eBPF.</summary>
    public static SyscallMonitor StartOrSkip(int pid)
    {
        try
        {
            return SyscallMonitor.Start(pid);
        }
        catch (MonitorUnavailableException e) when (e.Reason is MonitorUnavailableReason.Permission or MonitorUnavailableReason.LibraryMissing
            || (e.Reason == MonitorUnavailableReason.Kernel && !File.Exists("/proc/sys/kernel/unprivileged_bpf_disabled")))
        {
            Skip.Now("eBPF is not available here: " + e.Message);
            throw; // not reached
        }
    }

    /// <summary>Skips the test unless the monitor can be loaded here.</summary>
    public static void Require()
    {
        using var probe = StartOrSkip(Environment.ProcessId);
    }
}
