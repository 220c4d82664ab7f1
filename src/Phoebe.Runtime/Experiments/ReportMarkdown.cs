using System.Text;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Experiments;

/// <summary>
/// <c>report.md</c>: a campaign as GitHub-flavoured Markdown: what ran, the steady state, one table row per
/// experiment, and the findings in plain language. Names from the user's files are code spans, other text is
/// escaped, and <c>|</c> is escaped in table cells, so no name can break a table or inject markup.
/// </summary>
public static class ReportMarkdown
{
    /// <summary>Writes <paramref name="report"/> to <paramref name="writer"/>.</summary>
    public static void Write(CampaignReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(ToMarkdown(report));
    }

    /// <summary>The report as Markdown text.</summary>
    public static string ToMarkdown(CampaignReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append($"# Chaos report: {Text(report.Scenario)}\n\n");
        md.Append($"- **Scenario:** {Code(report.Scenario)} ({Code(report.ScenarioPath)})\n");
        md.Append($"- **Target:** {Code(report.Target)}\n");
        md.Append($"- **Started:** {ReportFacts.Timestamp(report.StartedUtc)}\n");
        md.Append($"- **Duration:** {ReportFacts.Duration(report.Duration)}\n");
        md.Append($"- **Seed:** {report.Seed}\n");
        md.Append($"- **Tolerance:** {ReportFacts.Tolerance(report.Tolerance)} below each check's steady-state success ratio\n");
        md.Append($"- **Restarts:** {report.Restarts}\n");
        md.Append($"- **Result:** {(report.Failed ? "**failed**" : "passed")} (worst verdict {ReportJson.VerdictName(report.Worst)}, allowed up to {ReportJson.VerdictName(report.Allow)})\n");
        if (report.Interrupted)
        {
            md.Append($"\n> **Interrupted:** the campaign was stopped (Ctrl-C or SIGTERM) before it finished{ReportFacts.NotRun(report)}.\n");
        }

        md.Append("\n## Steady state\n\n");
        var steady = report.SteadyState;
        md.Append($"From {ReportFacts.Duration(steady.Start)} to {ReportFacts.Duration(steady.End)} after the start.\n\n");
        if (steady.Checks.Count == 0) md.Append("No health check ran: only crashes can be told apart.\n");
        else
        {
            Row(md, "check", "runs", "success ratio");
            md.Append("|---|---:|---:|\n");
            foreach (var c in steady.Checks)
            {
                Row(md, Code(c.Check, cell: true), ReportFacts.Integer(c.Runs), c.Runs == 0 ? "no runs" : ReportFacts.Percent(c.SuccessRatio));
            }
        }

        md.Append("\n## Experiments\n\n");
        if (report.Experiments.Count == 0) md.Append("No experiment ran.\n");
        else ExperimentsTable(md, report);

        md.Append("\n## Findings\n\n");
        foreach (var p in ReportFacts.Findings(report))
        {
            md.Append(Spans(p.Spans)).Append('\n');
            if (p.Items is { Count: > 0 } items)
            {
                md.Append('\n');
                foreach (var item in items) md.Append("- ").Append(Spans(item)).Append('\n');
            }
            md.Append('\n');
        }

        if (report.Skipped.Count > 0)
        {
            md.Append("## Skipped\n\n");
            foreach (var s in report.Skipped) md.Append($"- {Code(s.Name)}: {Text(s.Reason)}\n");
            md.Append('\n');
        }
        // One trailing newline.
        while (md.Length > 1 && md[^1] == '\n' && md[^2] == '\n') md.Length--;
        return md.ToString();
    }

    private static void ExperimentsTable(StringBuilder md, CampaignReport report)
    {
        var checks = ReportFacts.CheckNames(report);
        Row(md, ["experiment", "syscall", "errno", "rate", "injections", .. checks.Select(c => $"{Code(c, cell: true)} failed"), "crash", "corruption", "verdict"]);
        Row(md, ["---", "---", "---", "---:", "---:", .. checks.Select(_ => "---:"), "---", "---", "---"]);
        foreach (var e in report.Experiments)
        {
            var cells = new List<string>
            {
                Code(e.Name, cell: true) + (e.RandomBaseline ? " (random baseline)" : ""),
                e.Syscall.Length > 0 ? Code(e.Syscall, cell: true) : "—",
                e.Errno.Length > 0 ? Text(e.Errno) : "—",
                Text(ReportFacts.Rate(e)),
                ReportFacts.Integer(e.Injections),
            };
            foreach (string name in checks)
            {
                var c = ReportFacts.Find(e.Window, name);
                string text = c is null ? "—" : ReportFacts.Failures(c);
                cells.Add(c is not null && ReportFacts.BelowSteadyState(report, c) ? $"**{text}**" : text);
            }
            cells.Add(Text(ReportFacts.Crash(e)));
            cells.Add(Corruption(e));
            string verdict = ReportJson.VerdictName(e.Verdict);
            cells.Add(ReportFacts.Fails(report, e) ? $"**{verdict}**" : verdict);
            Row(md, [.. cells]);
        }
        md.Append("\nA check's cell is its failure ratio while injecting, in bold when its success ratio fell more than the tolerance below the steady state's. ");
        md.Append($"Verdicts worse than {ReportJson.VerdictName(report.Allow)} (what the scenario allows) are in bold.\n");
    }

    private static string Corruption(ExperimentResult e)
    {
        if (e.PostInspection is null) return e.Corrupted ? "yes" : "not inspected";
        if (!e.Corrupted) return "no";
        var failed = ReportFacts.FailedAfterwards(e).Select(c => $"{Code(c.Check, cell: true)} {c.Failures}/{c.Runs}").ToList();
        return failed.Count == 0 ? "yes" : $"yes ({string.Join(", ", failed)} failed)";
    }

    private static void Row(StringBuilder md, params string[] cells) => md.Append("| ").Append(string.Join(" | ", cells)).Append(" |\n");

    private static string Spans(IReadOnlyList<Span> spans) => string.Concat(spans.Select(s => s.Kind switch
    {
        SpanKind.Code => Code(s.Text),
        SpanKind.Strong => $"**{Text(s.Text)}**",
        _ => Text(s.Text),
    }));

    /// <summary>
    /// Text with Markdown's inline syntax escaped (emphasis, code, links, HTML, and <c>|</c> for tables) and line
    /// breaks made spaces. Backslash escapes of ASCII punctuation are valid anywhere (CommonMark 2.4).
    /// </summary>
    internal static string Text(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '|' or '#' or '~' or '&':
                    sb.Append('\\').Append(ch);
                    break;
                case '\n' or '\r' or '\t':
                    sb.Append(' ');
                    break;
                default:
                    sb.Append(ch);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// A code span that shows <paramref name="text"/> as is: its fence is longer than any run of backticks in it
    /// (CommonMark 6.1). In a table cell <c>|</c> is written <c>\|</c>, which GitHub's tables read as <c>|</c> even
    /// inside code.
    /// </summary>
    internal static string Code(string text, bool cell = false)
    {
        if (text.Length == 0) return "\"\"";
        text = text.Replace('\n', ' ').Replace('\r', ' ');
        if (cell) text = text.Replace("|", "\\|");
        int longest = 0, run = 0;
        foreach (char ch in text)
        {
            run = ch == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        string fence = new('`', longest + 1);
        // A space on each side keeps a leading or trailing backtick out of the fence (and is stripped when rendered).
        string pad = text[0] == '`' || text[^1] == '`' || (text[0] == ' ' && text[^1] == ' ') ? " " : "";
        return fence + pad + text + pad + fence;
    }
}
