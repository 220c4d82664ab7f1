using Phoebe.Lang.Diagnostics;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Scenarios;

/// <summary>
/// Every diagnostic that reading a scenario can report, with its stable code. PHB4xxx are the
/// scenario's own; the generic YAML ones (invalid YAML, missing, unknown and duplicate fields, wrong
/// types, values out of range, durations) keep their PHB3xxx codes from <see cref="ProfileDiagnostics"/>,
/// and the referenced .phb files and profile report their own diagnostics. docs/scenarios.md lists them.
/// </summary>
public static class ScenarioDiagnostics
{
    /// <summary>A scenario of a format version this Phoebe does not read.</summary>
    public static readonly DiagnosticDescriptor UnsupportedVersion = new("PHB4001", Severity.Error, "unsupported scenario version");
    /// <summary>A referenced file (rules, health checks, profile) that cannot be read.</summary>
    public static readonly DiagnosticDescriptor FileNotFound = new("PHB4002", Severity.Error, "file not found");
    /// <summary>An experiment names a rule that no rule file defines.</summary>
    public static readonly DiagnosticDescriptor UnknownRule = new("PHB4003", Severity.Error, "unknown rule");
    /// <summary>A phase or the readiness test names a health check that no file defines.</summary>
    public static readonly DiagnosticDescriptor UnknownCheck = new("PHB4004", Severity.Error, "unknown health check");
    /// <summary>A command that is empty or malformed.</summary>
    public static readonly DiagnosticDescriptor InvalidCommand = new("PHB4005", Severity.Error, "invalid command");
    /// <summary>A TCP address that is not HOST:PORT.</summary>
    public static readonly DiagnosticDescriptor InvalidAddress = new("PHB4006", Severity.Error, "invalid address");
    /// <summary>A word that is not one of the field's choices.</summary>
    public static readonly DiagnosticDescriptor InvalidChoice = new("PHB4007", Severity.Error, "invalid choice");
    /// <summary>No experiment to run: neither an <c>experiments</c> list nor <c>synthesize</c>.</summary>
    public static readonly DiagnosticDescriptor NothingToRun = new("PHB4008", Severity.Error, "nothing to run");
    /// <summary><c>synthesize</c> without a <c>profile</c> or <c>observe</c> to synthesize from.</summary>
    public static readonly DiagnosticDescriptor NothingToSynthesize = new("PHB4009", Severity.Error, "nothing to synthesize from");
    /// <summary>Two experiments with the same name.</summary>
    public static readonly DiagnosticDescriptor DuplicateExperiment = new("PHB4010", Severity.Error, "duplicate experiment");
    /// <summary>A scenario without health checks: only crashes can be told apart.</summary>
    public static readonly DiagnosticDescriptor NoChecks = new("PHB4011", Severity.Warning, "no health checks");
    /// <summary>The target's program is not found (and no <c>build</c> step could make it).</summary>
    public static readonly DiagnosticDescriptor ProgramNotFound = new("PHB4012", Severity.Error, "program not found");

    /// <summary>Every descriptor, by code.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = DiagnosticCatalog.DescriptorsOf(typeof(ScenarioDiagnostics));
}
