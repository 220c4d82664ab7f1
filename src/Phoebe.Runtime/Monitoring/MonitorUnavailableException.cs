namespace Phoebe.Runtime.Monitoring;

/// <summary>Why the eBPF monitor cannot run on this machine.</summary>
public enum MonitorUnavailableReason
{
    /// <summary>The process lacks the privileges (CAP_BPF and CAP_PERFMON, or root).</summary>
    Permission,

    /// <summary>libbpf.so.1 is not installed.</summary>
    LibraryMissing,

    /// <summary>The compiled BPF object is not next to the assemblies.</summary>
    ObjectMissing,

    /// <summary>The kernel lacks something (tracefs, a tracepoint, BPF) or rejected the program.</summary>
    Kernel,
}

/// <summary>
/// The eBPF monitor cannot run here; the message says what is missing and how
/// to get it. Callers may fall back to another backend (ptrace).
/// </summary>
public sealed class MonitorUnavailableException(MonitorUnavailableReason reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>What is missing.</summary>
    public MonitorUnavailableReason Reason { get; } = reason;
}
