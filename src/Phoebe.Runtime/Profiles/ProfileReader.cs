using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Profiles;

/// <summary>The outcome of reading a profile: the profile when it has no errors, and every diagnostic.</summary>
public sealed record ProfileReadResult(SourceText Source, Profile? Profile, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when any error was reported (then <see cref="Profile"/> is <see langword="null"/>).</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// Reads and validates a YAML profile (docs/profile.md). Problems are diagnostics with
/// file:line:col (<see cref="ProfileDiagnostics"/>), never exceptions, and all of them are
/// reported, not just the first; only a YAML syntax error ends the read early.
/// </summary>
public static class ProfileReader
{
    /// <summary>Reads the profile at <paramref name="path"/>; the path is shown in diagnostics as given. I/O errors throw.</summary>
    public static ProfileReadResult ReadFile(string path) => Read(new SourceText(path, File.ReadAllText(path)));

    /// <summary>Reads a profile from its text.</summary>
    public static ProfileReadResult Read(SourceText source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ProfileBinder(source).Bind();
    }
}
