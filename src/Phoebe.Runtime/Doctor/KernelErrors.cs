using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Doctor;

/// <summary>How the probes word what the kernel answered.</summary>
internal static class KernelErrors
{
    /// <summary>An errno as its name and message, e.g. "EBUSY (Device or resource busy)".</summary>
    public static string Describe(int errno) =>
        ErrnoCatalog.ByNumber(errno) is { } known ? $"{known.Name} ({LibC.StrError(errno)})" : $"errno {errno} ({LibC.StrError(errno)})";

    /// <summary>
    /// The verifier's reason: the last line of its log that is not a statistic ("processed N insns", "verification
    /// time"), or null when it said nothing (the call failed before the verifier ran).
    /// </summary>
    public static string? VerifierReason(string log) => log
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .LastOrDefault(line => !line.StartsWith("processed ", StringComparison.Ordinal)
            && !line.StartsWith("verification time", StringComparison.Ordinal)
            && !line.StartsWith("stack depth", StringComparison.Ordinal));
}
