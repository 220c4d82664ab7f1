using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Scenarios;

/// <summary>The outcome of reading a scenario: the scenario when it has no errors, and every diagnostic (also those of the files it references).</summary>
public sealed record ScenarioReadResult(SourceText Source, Scenario? Scenario, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when any error was reported (then <see cref="Scenario"/> is <see langword="null"/>).</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// Reads and validates a chaos scenario (docs/scenarios.md) and everything it references: the .phb
/// files are compiled, the profile read, and every rule and check name resolved. Problems are
/// diagnostics with file:line:col, never exceptions, and all of them are reported.
/// </summary>
public static class ScenarioReader
{
    /// <summary>Reads the scenario at <paramref name="path"/>; relative paths in it are relative to its directory. I/O errors throw.</summary>
    public static ScenarioReadResult ReadFile(string path) => Read(new SourceText(path, File.ReadAllText(path)));

    /// <summary>Reads a scenario from its text; relative paths in it are relative to the directory of <see cref="SourceText.Path"/>.</summary>
    public static ScenarioReadResult Read(SourceText source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ScenarioBinder(source).Bind();
    }
}
