using System.Text.RegularExpressions;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Scenarios;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Scenarios;

/// <summary>docs/scenarios.md: its example validates, and its table lists every scenario diagnostic.</summary>
public partial class ScenarioDocsTests
{
    private static string Docs => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "scenarios.md"));

    [GeneratedRegex(@"^```yaml\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    [Fact]
    public void Example_validates_with_the_files_it_names()
    {
        // The example names rules.phb, health.phb and profile.yaml: the golden `valid` case has them.
        string valid = Path.Combine(RepoPaths.Root, "tests", "Phoebe.Runtime.Tests", "Scenarios", "cases", "valid");
        string yaml = YamlBlock().Match(Docs).Groups["code"].Value;
        var result = ScenarioReader.Read(new SourceText(Path.Combine(valid, "docs-example.yaml"), yaml));
        Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        var scenario = result.Scenario!;
        Assert.Equal(["disk_full", "slow_disk"], scenario.Experiments.Select(e => e.Name));
        Assert.Equal(["slow_reads", "writes_fail"], scenario.Experiments[1].Rules.Select(r => r.Name));
        Assert.Equal(TimeSpan.FromSeconds(8), scenario.Experiments[0].Duration);
        Assert.Equal(RestartPolicy.Always, scenario.Target.Restart);
        Assert.Equal(2, scenario.Target.StopSignal);
        Assert.Equal(Verdict.Crashed, scenario.Report.Allow);
        Assert.True(scenario.Synthesize && scenario.RandomBaseline);
        Assert.Equal(1.5, scenario.Synthesis.Amplification);
        Assert.Equal(Phoebe.Runtime.Synthesis.SynthesisPhase.Auto, scenario.SynthesisPhase);
    }

    [Fact]
    public void Every_code_is_documented()
    {
        foreach (var d in ScenarioDiagnostics.All)
        {
            Assert.Matches($@"\| {d.Code} \| {(d.Severity == Severity.Error ? "error" : "warning")} \| {Regex.Escape(d.Title)}", Docs);
        }
    }
}
