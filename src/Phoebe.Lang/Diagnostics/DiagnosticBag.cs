using System.Collections.Immutable;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Diagnostics;

/// <summary>
/// Collects diagnostics. User errors are never exceptions: passes report here and
/// keep going. At most <see cref="MaxErrorsPerSource"/> errors are kept per file,
/// so garbage input yields a readable report rather than one error per byte.
/// </summary>
public sealed class DiagnosticBag
{
    /// <summary>Errors kept per source file before the rest are summarised.</summary>
    public const int MaxErrorsPerSource = 50;

    private readonly List<Diagnostic> items = new();
    private readonly Dictionary<SourceText, int> errorCounts = new(ReferenceEqualityComparer.Instance);

    /// <summary>Diagnostics in the order reported.</summary>
    public IReadOnlyList<Diagnostic> Items => items;

    /// <summary>True when any error was reported.</summary>
    public bool HasErrors { get; private set; }

    /// <summary>Reports a diagnostic with optional hints.</summary>
    public void Report(DiagnosticDescriptor descriptor, SourceText? source, TextSpan span, string message, params string[] hints)
        => Add(new Diagnostic(descriptor, source, span, message, ImmutableArray<DiagnosticLabel>.Empty, hints.ToImmutableArray()));

    /// <summary>Reports a diagnostic with a secondary label and optional hints.</summary>
    public void Report(DiagnosticDescriptor descriptor, SourceText? source, TextSpan span, string message, DiagnosticLabel label, params string[] hints)
        => Add(new Diagnostic(descriptor, source, span, message, ImmutableArray.Create(label), hints.ToImmutableArray()));

    /// <summary>Adds a diagnostic, applying the per-file error cap.</summary>
    public void Add(Diagnostic diagnostic)
    {
        if (diagnostic.Severity == Severity.Error)
        {
            HasErrors = true;
            if (diagnostic.Source is { } source)
            {
                errorCounts.TryGetValue(source, out int count);
                errorCounts[source] = count + 1;
                if (count == MaxErrorsPerSource)
                {
                    items.Add(new Diagnostic(DiagnosticCatalog.TooManyErrors, source, diagnostic.Span,
                        $"too many errors in this file; stopped reporting after {MaxErrorsPerSource}",
                        ImmutableArray<DiagnosticLabel>.Empty, ImmutableArray.Create("fix the errors above and check again")));
                }
                if (count >= MaxErrorsPerSource) return;
            }
        }
        items.Add(diagnostic);
    }

    /// <summary>Adds all diagnostics of another bag.</summary>
    public void AddRange(IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var d in diagnostics) Add(d);
    }

    /// <summary>The number of errors reported for a source, including those past the cap.</summary>
    public int ErrorCount(SourceText source) => errorCounts.TryGetValue(source, out int n) ? n : 0;
}
