using Phoebe.Lang.Diagnostics;

namespace Phoebe.Lang.Syntax;

/// <summary>
/// A parsed file and the syntax diagnostics found in it. Items that contain a
/// syntax error are left out of <see cref="File"/>, so later passes only see
/// well-formed items and do not pile up follow-on errors.
/// </summary>
public sealed record ParseResult(PhbFile File, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when the file had any syntax error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}
