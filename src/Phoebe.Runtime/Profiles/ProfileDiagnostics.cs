using Phoebe.Lang.Diagnostics;

namespace Phoebe.Runtime.Profiles;

/// <summary>
/// Every diagnostic that reading a profile can report, with its stable code.
/// PHB3xxx: profiles (the language's catalogue, <see cref="DiagnosticCatalog"/>, owns
/// PHB0xxx to PHB2xxx). Codes are never reused; docs/profile.md lists them all.
/// </summary>
public static class ProfileDiagnostics
{
    /// <summary>Text that is not valid YAML.</summary>
    public static readonly DiagnosticDescriptor InvalidYaml = new("PHB3001", Severity.Error, "invalid YAML");
    /// <summary>A profile of a format version this Phoebe does not read.</summary>
    public static readonly DiagnosticDescriptor UnsupportedVersion = new("PHB3002", Severity.Error, "unsupported profile version");
    /// <summary>A required field that is absent.</summary>
    public static readonly DiagnosticDescriptor MissingField = new("PHB3003", Severity.Error, "missing field");
    /// <summary>A value of the wrong kind: a string for a number, a list for a mapping.</summary>
    public static readonly DiagnosticDescriptor WrongType = new("PHB3004", Severity.Error, "wrong type");
    /// <summary>A field the format does not define.</summary>
    public static readonly DiagnosticDescriptor UnknownField = new("PHB3005", Severity.Error, "unknown field");
    /// <summary>A number outside its range: a rate outside [0, 1], a negative count.</summary>
    public static readonly DiagnosticDescriptor OutOfRange = new("PHB3006", Severity.Error, "value out of range");
    /// <summary>A rate summary whose 5th percentile exceeds its 95th.</summary>
    public static readonly DiagnosticDescriptor MinAboveMax = new("PHB3007", Severity.Error, "min greater than max");
    /// <summary>A syscall name that no architecture has.</summary>
    public static readonly DiagnosticDescriptor UnknownSyscall = new("PHB3008", Severity.Error, "unknown syscall");
    /// <summary>An errno name that does not exist.</summary>
    public static readonly DiagnosticDescriptor UnknownErrno = new("PHB3009", Severity.Error, "unknown errno");
    /// <summary>An error of a syscall that <c>syscalls</c> does not list.</summary>
    public static readonly DiagnosticDescriptor SyscallNotListed = new("PHB3010", Severity.Error, "syscall not listed");
    /// <summary>More errors of a syscall than calls of it.</summary>
    public static readonly DiagnosticDescriptor MoreErrorsThanCalls = new("PHB3011", Severity.Error, "more errors than calls");
    /// <summary>A syscall listed twice, or a (syscall, errno) pair given twice.</summary>
    public static readonly DiagnosticDescriptor DuplicateEntry = new("PHB3012", Severity.Error, "duplicate entry");
    /// <summary>An interval that is not a positive duration.</summary>
    public static readonly DiagnosticDescriptor InvalidDuration = new("PHB3013", Severity.Error, "invalid duration");
    /// <summary>A field given twice in one mapping.</summary>
    public static readonly DiagnosticDescriptor DuplicateField = new("PHB3014", Severity.Error, "duplicate field");
    /// <summary>A series that is empty or has more rates than the observation has intervals.</summary>
    public static readonly DiagnosticDescriptor InvalidSeries = new("PHB3015", Severity.Error, "invalid series");
    /// <summary>A rate summary that the series it comes with does not give.</summary>
    public static readonly DiagnosticDescriptor RateDisagreesWithSeries = new("PHB3016", Severity.Warning, "rate disagrees with series");

    /// <summary>All descriptors, ordered by code.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = DiagnosticCatalog.DescriptorsOf(typeof(ProfileDiagnostics));
}
