using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Health;

/// <summary>The outcome of the health pass: the program with C# diagnostics added, and its runnable checks.</summary>
/// <param name="Result">The language's result with the C# errors and warnings merged in, in source order; its plan is dropped when C# errors were found.</param>
/// <param name="Checks">The compiled checks, in plan order; empty when any check has errors.</param>
/// <param name="Compilations">One compilation per health check, with its timing.</param>
public sealed record HealthPassResult(
    CompilationResult Result,
    ImmutableArray<CompiledHealthCheck> Checks,
    ImmutableArray<HealthCompilation> Compilations);

/// <summary>
/// The pass after the language's: compiles the C# bodies of a checked program's
/// HEALTH blocks. It runs only on a program without errors (passes stop at the
/// first one that reports errors) and, for a program without health checks, does
/// nothing, so Roslyn is not even loaded (`phoebe check` on rule files stays fast).
/// </summary>
public static class HealthPass
{
    /// <summary>Compiles the health checks of <paramref name="result"/> with <paramref name="compiler"/> (default: <see cref="HealthCompiler.Shared"/>).</summary>
    /// <exception cref="ManagedRuntimeRequiredException">The program has health checks and this is a Native AOT build.</exception>
    public static HealthPassResult Run(CompilationResult result, HealthCompiler? compiler = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Plan is not { HealthChecks.IsEmpty: false }) return new HealthPassResult(result, [], []);
        // A constant in a Native AOT build, where the compiler then drops Roslyn altogether.
        if (!RuntimeFeature.IsDynamicCodeSupported) throw new ManagedRuntimeRequiredException();
        return Compile(result, compiler);
    }

    // Separate, and never inlined, so that Run itself does not make the JIT load Roslyn.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static HealthPassResult Compile(CompilationResult result, HealthCompiler? compiler)
    {
        compiler ??= HealthCompiler.Shared;
        var plan = result.Plan!;
        var sources = result.Files.Select(f => f.Source).ToArray();
        var compilations = plan.HealthChecks
            .Select(check => compiler.Compile(check, sources.FirstOrDefault(s => HealthCompiler.BodyStart(s, check) is not null)))
            .ToImmutableArray();
        var added = compilations.SelectMany(c => c.Diagnostics).ToArray();
        if (added.Length == 0)
        {
            return new HealthPassResult(result, compilations.Select(c => c.Check!).ToImmutableArray(), compilations);
        }
        var diagnostics = InSourceOrder(result.Diagnostics.Concat(added), sources);
        bool errors = compilations.Any(c => c.HasErrors);
        var merged = result with { Diagnostics = diagnostics, Plan = errors ? null : result.Plan };
        var checks = errors ? ImmutableArray<CompiledHealthCheck>.Empty : compilations.Select(c => c.Check!).ToImmutableArray();
        return new HealthPassResult(merged, checks, compilations);
    }

    // File by file, top to bottom, as the language orders its own diagnostics.
    private static IReadOnlyList<Diagnostic> InSourceOrder(IEnumerable<Diagnostic> diagnostics, SourceText[] sources) => diagnostics
        .Select((d, i) => (d, i))
        .OrderBy(x => x.d.Source is { } s ? Array.IndexOf(sources, s) : -1)
        .ThenBy(x => x.d.Span.Start)
        .ThenBy(x => x.i)
        .Select(x => x.d)
        .ToArray();
}
