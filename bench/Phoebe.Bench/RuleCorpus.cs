using System.Text;
using System.Text.Json;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Bench;

/// <summary>A generated set of rules written both as <c>.phb</c> text and as equivalent JSON.</summary>
public sealed class RuleCorpus
{
    /// <summary>The seed every benchmark uses, so that all runs see the same rules.</summary>
    public const int DefaultSeed = 20200907;

    private RuleCorpus(int count, string phb, string json)
    {
        Count = count;
        Phb = phb;
        Json = json;
        Source = new SourceText($"bench-{count}.phb", phb);
    }

    /// <summary>Number of rules.</summary>
    public int Count { get; }

    /// <summary>The rules as <c>.phb</c> text.</summary>
    public string Phb { get; }

    /// <summary>The same rules as JSON.</summary>
    public string Json { get; }

    /// <summary>The <c>.phb</c> text as a source for the compiler.</summary>
    public SourceText Source { get; }

    /// <summary>Generates <paramref name="count"/> rules from <paramref name="seed"/>.</summary>
    public static RuleCorpus Create(int count, int seed = DefaultSeed)
    {
        var rules = new RuleGenerator(seed).Generate(count);
        return new RuleCorpus(count, PhbWriter.Write(rules), JsonRuleWriter.Write(rules));
    }

    /// <summary>
    /// Compiles the rules once and fails loudly unless every rule checks without errors
    /// and is planned, and the JSON holds the same number of rules. Returns the number
    /// of warnings (allowed, but the generator aims for none).
    /// </summary>
    public int Validate()
    {
        var parsed = PhbParser.Parse(Source);
        if (parsed.Diagnostics.Count > 0) throw Fail("parsing", parsed.Diagnostics);

        var result = PhoebeCompiler.Compile(Source);
        if (result.HasErrors) throw Fail("checking", result.Diagnostics.Where(d => d.Severity == Severity.Error).ToList());
        int planned = result.Plan?.Rules.Length ?? 0;
        if (planned != Count) throw new InvalidOperationException($"expected {Count} planned rules, got {planned}");

        using var doc = JsonDocument.Parse(Json);
        int jsonRules = doc.RootElement.GetProperty("rules").GetArrayLength();
        if (jsonRules != Count) throw new InvalidOperationException($"expected {Count} rules in the JSON, got {jsonRules}");

        return result.Diagnostics.Count(d => d.Severity == Severity.Warning);
    }

    /// <summary>Writes the corpus as <c>rules-N.phb</c> and <c>rules-N.json</c> into <paramref name="directory"/>.</summary>
    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"rules-{Count}.phb"), Phb);
        File.WriteAllText(Path.Combine(directory, $"rules-{Count}.json"), Json);
    }

    private InvalidOperationException Fail(string stage, IReadOnlyList<Diagnostic> diagnostics)
    {
        var sb = new StringBuilder();
        sb.Append($"the generated {Count}-rule corpus fails {stage} with {diagnostics.Count} diagnostic(s); the generator is wrong. First ones:\n");
        foreach (var d in diagnostics.Take(10)) sb.Append(DiagnosticRenderer.Render(d));
        return new InvalidOperationException(sb.ToString());
    }
}
