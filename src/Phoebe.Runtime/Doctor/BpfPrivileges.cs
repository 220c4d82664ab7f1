using System.Globalization;

namespace Phoebe.Runtime.Doctor;

/// <summary>
/// Whether the calling thread holds the capabilities BPF tracing needs. An EPERM means "not privileged" only when
/// it does not; with them, the refusal comes from a policy (an LSM, lockdown) or the kernel itself.
/// </summary>
internal static class BpfPrivileges
{
    private const int CapSysAdmin = 21, CapPerfmon = 38, CapBpf = 39;

    /// <summary>
    /// True when the thread's effective set has CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (which kernels before 5.8
    /// ask for instead); null when /proc does not say.
    /// </summary>
    public static bool? CanLoadTracingPrograms()
    {
        // Credentials are per thread: /proc/thread-self, not /proc/self.
        string[] lines;
        try { lines = File.ReadAllLines("/proc/thread-self/status"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        string? capEff = lines.FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        if (capEff is null || !ulong.TryParse(capEff["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong caps))
        {
            return null;
        }
        static bool Has(ulong set, int cap) => (set & (1UL << cap)) != 0;
        return (Has(caps, CapBpf) && Has(caps, CapPerfmon)) || Has(caps, CapSysAdmin);
    }
}
