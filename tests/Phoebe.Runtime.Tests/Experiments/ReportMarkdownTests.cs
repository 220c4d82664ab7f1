using System.Text.RegularExpressions;
using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>report.md of a hand-built campaign with every verdict, a skipped experiment, an interruption and a <c>|</c> in a name.</summary>
public partial class ReportMarkdownTests
{
    private static readonly string Markdown = ReportMarkdown.ToMarkdown(SampleReports.Campaign());

    private static string[] Lines => Markdown.Split('\n');

    [Fact]
    public void Header_says_what_ran_and_the_result()
    {
        Assert.StartsWith("# Chaos report: server-chaos\n\n", Markdown);
        Assert.Contains("- **Scenario:** `server-chaos` (`examples/demo/scenario.yaml`)", Lines);
        Assert.Contains("- **Target:** `./server --port 18080`", Lines);
        Assert.Contains("- **Started:** 2025-03-04 05:06:07 UTC", Lines);
        Assert.Contains("- **Duration:** 1m 23s", Lines);
        Assert.Contains("- **Seed:** 18446744073709551615", Lines);
        Assert.Contains("- **Tolerance:** 10 percentage points below each check's steady-state success ratio", Lines);
        Assert.Contains("- **Restarts:** 2", Lines);
        Assert.Contains("- **Result:** **failed** (worst verdict corrupted, allowed up to degraded)", Lines);
    }

    [Fact]
    public void Interrupted_campaign_is_noted_under_the_title_and_in_the_findings()
    {
        Assert.Contains("> **Interrupted:** the campaign was stopped (Ctrl-C or SIGTERM) before it finished; 1 experiment did not run.", Lines);
        Assert.Contains("**Interrupted:** the campaign was stopped (Ctrl-C or SIGTERM) before it finished, so these results are partial; 1 experiment did not run.", Lines);

        string finished = ReportMarkdown.ToMarkdown(SampleReports.Campaign() with { Interrupted = false, Skipped = [] });
        Assert.DoesNotContain("Interrupted", finished);
        Assert.DoesNotContain("## Skipped", finished);
    }

    [Fact]
    public void Steady_state_table_has_each_check_with_runs_and_success_ratio()
    {
        Assert.Equal(
            ["| check | runs | success ratio |", "|---|---:|---:|", "| `ping` | 10 | 100% |", "| `roundtrip` | 10 | 90% |"],
            Section("Steady state").Where(l => l.StartsWith('|')));
    }

    [Fact]
    public void Experiments_table_has_one_row_per_experiment_with_every_verdict()
    {
        Assert.Equal(
        [
            "| experiment | syscall | errno | rate | injections | `ping` failed | `roundtrip` failed | crash | corruption | verdict |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- |",
            "| `eagain_ok` | `write` | EAGAIN | 5% (sporadic) | 12 | 0% (0/10) | 10% (1/10) | no | no | resilient |",
            "| `disk\\|full` | `write` | ENOSPC | — | 37 | **50% (2/4)** | 0% (0/4) | exited with 139 | not inspected | **crashed** |",
            "| `slow_reads` | `read` | — | — | 80 | **50% (5/10)** | 10% (1/10) | no | no | degraded |",
            "| `eio_corrupts` | `read` | EIO | 20% (fluctuating) | 9 | **40% (4/10)** | 0% (0/10) | no | yes (`ping` 3/4 failed) | **corrupted** |",
            "| `random_openat` (random baseline) | `openat` | EACCES | 50% | 3 | 0% (0/10) | 0% (0/10) | no | no | resilient |",
        ], Section("Experiments").Where(l => l.StartsWith('|')));
    }

    [Fact]
    public void Every_table_row_has_as_many_cells_as_its_header()
    {
        // A `|` in a name that is not escaped would add a cell to its row.
        var hostile = SampleReports.Campaign() with
        {
            Scenario = "a|b",
            Target = "sh -c 'x | y'",
            Experiments = [.. SampleReports.Campaign().Experiments.Select(e => e with { Errno = e.Errno + "|x", CrashReason = e.CrashReason is null ? null : "killed | by `SIGSEGV`" })],
        };
        foreach (string md in new[] { Markdown, ReportMarkdown.ToMarkdown(hostile) })
        {
            foreach (var table in Tables(md))
            {
                int columns = Cells(table[0]);
                Assert.All(table, row => Assert.Equal(columns, Cells(row)));
            }
        }
        Assert.Contains("| killed \\| by \\`SIGSEGV\\` |", ReportMarkdown.ToMarkdown(hostile));
    }

    [Fact]
    public void Findings_summarise_the_weaknesses_and_what_the_target_tolerates()
    {
        Assert.Equal(
        [
            "3 of 5 experiments found a weakness:",
            "",
            "- `disk|full`: `write` failing with ENOSPC crashed the target (exited with 139).",
            "- `slow_reads`: rule `slow_reads` on `read` degraded the target: `ping` succeeded in 50% of runs (steady state 100%).",
            "- `eio_corrupts`: `read` failing with EIO corrupted the target's state: post-inspection failed (`ping` failed 3 of 4 runs).",
            "",
            "The target tolerates `write` failing with EAGAIN and `openat` failing with EACCES (random baseline).",
            "",
            "Worst verdict: **corrupted**; the scenario allows up to **degraded**, so `phoebe experiment` fails. The target was restarted 2 times.",
            "",
            "**Interrupted:** the campaign was stopped (Ctrl-C or SIGTERM) before it finished, so these results are partial; 1 experiment did not run.",
        ], Section("Findings").SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse());
    }

    [Fact]
    public void Findings_when_nothing_was_found_or_nothing_ran()
    {
        var campaign = SampleReports.Campaign();
        var resilient = campaign with { Experiments = [.. campaign.Experiments.Where(e => e.Verdict == Verdict.Resilient)], Interrupted = false };
        string md = ReportMarkdown.ToMarkdown(resilient);
        Assert.Contains("No experiment found a weakness: the target was resilient in all 2.", md);
        Assert.Contains("Worst verdict: **resilient**; the scenario allows up to **degraded**, so the campaign passes.", md);
        Assert.Contains("- **Result:** passed (worst verdict resilient, allowed up to degraded)", md);

        string none = ReportMarkdown.ToMarkdown(campaign with { Experiments = [], SteadyState = SampleReports.Phase(0, 5) });
        Assert.Equal(2, Regex.Count(none, "^No experiment ran\\.$", RegexOptions.Multiline));
        Assert.Contains("No health check ran: only crashes can be told apart.", none);
        Assert.DoesNotContain("tolerate", none);
    }

    [Fact]
    public void Skipped_experiments_are_listed_with_their_reasons()
    {
        Assert.Equal(["- `never_ran`: interrupted"], Section("Skipped").Where(l => l.Length > 0));
    }

    [Fact]
    public void Free_text_is_escaped_and_names_are_code_spans()
    {
        var campaign = SampleReports.Campaign();
        var odd = campaign with
        {
            Scenario = "*bold* <b>",
            Skipped = [new SkippedExperiment("tick`name", "aborted after [2](x) _crashes_")],
        };
        string md = ReportMarkdown.ToMarkdown(odd);
        Assert.StartsWith("# Chaos report: \\*bold\\* \\<b\\>\n", md);
        Assert.Contains("- ``tick`name``: aborted after \\[2\\](x) \\_crashes\\_", md);
        Assert.Equal("`` `a` ``", ReportMarkdown.Code("`a`"));
    }

    /// <summary>The lines of a <c>## title</c> section, up to the next one.</summary>
    private static IEnumerable<string> Section(string title) =>
        Lines.SkipWhile(l => l != "## " + title).Skip(1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal));

    private static IEnumerable<List<string>> Tables(string md)
    {
        var table = new List<string>();
        foreach (string line in md.Split('\n').Append(""))
        {
            if (line.StartsWith('|')) table.Add(line);
            else if (table.Count > 0)
            {
                yield return table;
                table = [];
            }
        }
    }

    /// <summary>Cells of a table row: unescaped <c>|</c>s, less one.</summary>
    private static int Cells(string row) => UnescapedPipe().Count(row) - 1;

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex UnescapedPipe();
}
