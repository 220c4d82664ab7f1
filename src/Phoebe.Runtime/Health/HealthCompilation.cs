using System.Collections.Immutable;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;

namespace Phoebe.Runtime.Health;

/// <summary>
/// The outcome of compiling one HEALTH block: the check when its C# compiled, and
/// the C# errors and warnings as Phoebe diagnostics at <c>.phb</c> positions.
/// </summary>
/// <param name="Plan">The check that was compiled.</param>
/// <param name="Check">The runnable check; null when the body has errors.</param>
/// <param name="Diagnostics">C# errors (PHB1030) and warnings (PHB1031), in body order.</param>
/// <param name="Elapsed">How long this compilation took (almost nothing from a cache).</param>
/// <param name="Origin">Whether Roslyn compiled the body now, or a cache had it.</param>
public sealed record HealthCompilation(
    HealthCheckPlan Plan,
    CompiledHealthCheck? Check,
    ImmutableArray<Diagnostic> Diagnostics,
    TimeSpan Elapsed,
    HealthCompileOrigin Origin)
{
    /// <summary>True when the body has C# errors.</summary>
    public bool HasErrors => Check is null;
}
