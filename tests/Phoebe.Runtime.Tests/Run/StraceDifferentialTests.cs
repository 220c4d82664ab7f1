using System.Text;
using Xunit.Abstractions;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// ENTRY rules against their reference: for each <see cref="DifferentialCases">case</see>,
/// <c>phoebe run -q -e 'RULE r ON SC ENTRY IF call == N DO return E' -- PROG ARGS</c>
/// must give exactly what <c>strace -f -qq -o /dev/null -e trace=SC -e inject=SC:error=E:when=N PROG ARGS</c>
/// gives: exit code, stdout, stderr and the files left in the working directory.
/// The strace side is validated first: a case whose two strace runs differ is
/// dropped (reported as skipped, with both runs).
/// </summary>
public sealed class StraceDifferentialTests(StraceBaselines baselines, ITestOutputHelper output) : IClassFixture<StraceBaselines>
{
    /// <summary>Theory data: every case id.</summary>
    public static TheoryData<string> Cases => DifferentialCases.Ids();

    [SkippableFact]
    public void Strace_side_is_deterministic_for_most_cases()
    {
        var all = baselines.All();
        var report = new StringBuilder();
        report.AppendLine($"{"case",-36} {"strace x2",-14} injection");
        foreach (var b in all)
        {
            report.AppendLine($"{b.Case.Id,-36} {(b.Deterministic ? "kept" : "DROPPED"),-14} {(b.Effect ? "changes the run" : "no visible effect")}");
        }
        var dropped = all.Where(b => !b.Deterministic).ToList();
        report.AppendLine($"{all.Count - dropped.Count} kept, {dropped.Count} dropped, {all.Count(b => b.Deterministic && b.Effect)} kept cases change the run");
        foreach (var b in dropped)
        {
            report.AppendLine().AppendLine($"dropped {b.Case.Id}: `{b.StraceSpec}` gave\n{b.Strace}then\n{b.StraceAgain}");
        }
        output.WriteLine(report.ToString());

        // A reference that moves for many cases, or injections that change nothing, would make the suite toothless.
        Assert.True(dropped.Count <= all.Count / 5, $"too many cases are not deterministic under strace:\n{report}");
        Assert.True(all.Count(b => b.Deterministic && b.Effect) >= all.Count / 2, $"too few cases change the program's run:\n{report}");
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Entry_rule_behaves_like_strace_inject(string id)
    {
        var c = DifferentialCases.Get(id);
        var baseline = baselines.For(c);
        if (!baseline.Deterministic)
        {
            Skip.Now($"dropped: two runs of `{baseline.StraceSpec}` differ\n--- first\n{baseline.Strace}--- second\n{baseline.StraceAgain}");
        }

        var phoebe = PhoebeCli.Spec(c.PhoebeArgs, baseline.Workspace.Path, baseline.Workspace.Environment);
        var observed = Observation.Of(baseline.Workspace, phoebe);

        output.WriteLine($"strace: {baseline.StraceSpec}\nphoebe: {phoebe}\n{(baseline.Effect ? "the injection changes the run" : "the injection has no visible effect")}");
        if (observed.ToString() != baseline.Strace.ToString())
        {
            Assert.Fail($"Phoebe and strace differ for {c.Id} (in {baseline.Workspace.Path}).\n" +
                $"=== strace: {baseline.StraceSpec}\n{baseline.Strace}" +
                $"=== phoebe: {phoebe}\n{observed}");
        }
    }
}
