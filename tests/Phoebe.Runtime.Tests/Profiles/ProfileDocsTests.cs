using System.Text.RegularExpressions;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Synthesis;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Profiles;

/// <summary>docs/profile.md's examples read, synthesize and check as documented.</summary>
public partial class ProfileDocsTests
{
    private static string Docs => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "profile.md"));

    [GeneratedRegex(@"^```(?<lang>yaml|phb)\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fenced();

    [Fact]
    public void Yaml_example_reads_cleanly_and_gives_the_documented_models()
    {
        var yaml = Fenced().Matches(Docs).Single(m => m.Groups["lang"].Value == "yaml").Groups["code"].Value;
        var result = ProfileReader.Read(new SourceText("docs/profile.md", yaml));
        Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        var models = ErrorModelSynthesizer.Synthesize(result.Profile!);
        Assert.Equal((ErrorModelCase.Steady, 0.49017 * 1.2), (models[0].Case, models[0].Rate));
        Assert.Equal((ErrorModelCase.Sporadic, 0.05), (models[1].Case, models[1].Rate));
        Assert.Equal(0.001185, models[1].Observed.Max, 12);
        Assert.Equal(1.25e-8, models[1].Observed.Var, 15);
    }

    [Fact]
    public void Phb_example_checks_cleanly()
    {
        foreach (Match block in Fenced().Matches(Docs).Where(m => m.Groups["lang"].Value == "phb"))
        {
            var result = PhoebeCompiler.Compile(new SourceText("docs/profile.md", block.Groups["code"].Value));
            Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        }
    }

    [Fact]
    public void Phb_example_is_what_synthesize_writes()
    {
        // The documented rules are a subset of the example profile's output, comment lines included.
        var profile = ProfileReader.ReadFile(Path.Combine(RepoPaths.Root, "examples", "profiles", "redis.yaml")).Profile!;
        string actual = ErrorModelRuleWriter.ToPhb(ErrorModelSynthesizer.Synthesize(profile), SynthesisParameters.Default, profile, "redis.yaml");
        var documented = Fenced().Matches(Docs).Single(m => m.Groups["lang"].Value == "phb").Groups["code"].Value;
        var actualLines = actual.Split('\n').ToHashSet();
        Assert.All(documented.Split('\n').Where(l => l.Length > 0), line => Assert.Contains(line, actualLines));
    }
}
