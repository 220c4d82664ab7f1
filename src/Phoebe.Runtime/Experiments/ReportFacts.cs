using System.Globalization;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Experiments;

/// <summary>What the Markdown and HTML reports both show, worded once: numbers, cells and the findings.</summary>
internal static class ReportFacts
{
    // Ratios are computed from counts: a check exactly at the threshold must not count as below it.
    private const double Epsilon = 1e-9;

    /// <summary>Every check the report mentions, steady state's first, then in order of first appearance.</summary>
    public static IReadOnlyList<string> CheckNames(CampaignReport report) =>
        [.. report.SteadyState.Checks.Select(c => c.Check)
            .Concat(report.Experiments.SelectMany(e => e.Window.Checks.Select(c => c.Check)))
            .Concat(report.Experiments.SelectMany(e => e.PostInspection?.Checks.Select(c => c.Check) ?? []))
            .Distinct(StringComparer.Ordinal)];

    /// <summary>The check named <paramref name="name"/> in <paramref name="phase"/>, if it ran there.</summary>
    public static CheckSummary? Find(PhaseResult? phase, string name) =>
        phase?.Checks.FirstOrDefault(c => string.Equals(c.Check, name, StringComparison.Ordinal));

    /// <summary>The steady-state success ratio of a check (1 when it did not run then).</summary>
    public static double Baseline(CampaignReport report, string check) => Find(report.SteadyState, check)?.SuccessRatio ?? 1;

    /// <summary>True when <paramref name="window"/>'s success ratio is below the steady state's minus the tolerance (docs/scenarios.md).</summary>
    public static bool BelowSteadyState(CampaignReport report, CheckSummary window) =>
        window.Runs > 0 && window.SuccessRatio < Baseline(report, window.Check) - report.Tolerance - Epsilon;

    /// <summary>A ratio as a percentage: <c>100%</c>, <c>33.3%</c>, <c>0.5%</c>.</summary>
    public static string Percent(double ratio)
    {
        double p = ratio * 100;
        string format = p != 0 && Math.Abs(p) < 1 ? "0.##" : "0.#";
        return p.ToString(format, CultureInfo.InvariantCulture) + "%";
    }

    /// <summary>A check's failures in a phase: <c>20% (2/10)</c>, or <c>no runs</c>.</summary>
    public static string Failures(CheckSummary c) =>
        c.Runs == 0 ? "no runs" : $"{Percent(c.FailureRatio)} ({Integer(c.Failures)}/{Integer(c.Runs)})";

    /// <summary>An integer in invariant digits.</summary>
    public static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A time from the start of the campaign, or a duration: <c>8.5s</c>, <c>2m 5s</c>, <c>1h 0m 3s</c>.</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.FromMinutes(1)) return t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + "s";
        int seconds = (int)Math.Round(t.TotalSeconds % 60, MidpointRounding.AwayFromZero);
        long minutes = (long)t.TotalMinutes;
        if (seconds == 60) (minutes, seconds) = (minutes + 1, 0);
        return minutes < 60 ? $"{minutes}m {seconds}s" : $"{minutes / 60}h {minutes % 60}m {seconds}s";
    }

    /// <summary>A time as seconds (with a fraction), as the JSON and the charts give times.</summary>
    public static double Seconds(TimeSpan t) => (double)t.Ticks / TimeSpan.TicksPerSecond;

    /// <summary>The tolerance in words: <c>10 percentage points</c>.</summary>
    public static string Tolerance(double tolerance) =>
        (tolerance * 100).ToString("0.##", CultureInfo.InvariantCulture) + (tolerance == 0.01 ? " percentage point" : " percentage points");

    /// <summary>A time of day in UTC: <c>2025-03-04 05:06:07 UTC</c>.</summary>
    public static string Timestamp(DateTime utc) =>
        (utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : utc).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>The rate cell: <c>5% (sporadic)</c>, or <c>—</c> for a written experiment.</summary>
    public static string Rate(ExperimentResult e) =>
        e.Rate is { } r ? Percent(r) + (e.Case is { Length: > 0 } c ? $" ({c})" : "") : "—";

    /// <summary>The crash cell: what happened, or <c>no</c>.</summary>
    public static string Crash(ExperimentResult e) => e.Crashed ? (string.IsNullOrEmpty(e.CrashReason) ? "yes" : e.CrashReason) : "no";

    /// <summary>The checks that failed during post-inspection.</summary>
    public static IEnumerable<CheckSummary> FailedAfterwards(ExperimentResult e) =>
        e.PostInspection?.Checks.Where(c => c.Failures > 0) ?? [];

    /// <summary>True when <paramref name="e"/>'s verdict is worse than the scenario allows.</summary>
    public static bool Fails(CampaignReport report, ExperimentResult e) => e.Verdict > report.Allow;

    /// <summary>The findings: a plain-language summary of what the campaign found.</summary>
    public static IReadOnlyList<Paragraph> Findings(CampaignReport report)
    {
        var paragraphs = new List<Paragraph>();
        int n = report.Experiments.Count;
        var weak = report.Experiments.Where(e => e.Verdict != Verdict.Resilient).ToList();
        if (n == 0)
        {
            paragraphs.Add(new Paragraph(new Inline().Text("No experiment ran.").Spans));
        }
        else if (weak.Count == 0)
        {
            paragraphs.Add(new Paragraph(new Inline().Text(n == 1
                ? "The experiment found no weakness: the target was resilient."
                : $"No experiment found a weakness: the target was resilient in all {n}.").Spans));
        }
        else
        {
            paragraphs.Add(new Paragraph(
                new Inline().Text($"{weak.Count} of {n} {(n == 1 ? "experiment" : "experiments")} found a weakness:").Spans,
                [.. weak.Select(e => Weakness(report, e).Spans)]));
        }

        if (n > 0)
        {
            var tolerated = new Inline();
            var faults = report.Experiments.Where(e => e.Verdict == Verdict.Resilient)
                .Select(Fault)
                .DistinctBy(f => string.Concat(f.Spans.Select(s => s.Text)))
                .ToList();
            if (faults.Count == 0) tolerated.Text("The target tolerated none of the injected errors.");
            else
            {
                tolerated.Text("The target tolerates ");
                for (int i = 0; i < faults.Count; i++)
                {
                    if (i > 0) tolerated.Text(i == faults.Count - 1 ? " and " : ", ");
                    tolerated.Append(faults[i]);
                }
                tolerated.Text(".");
            }
            paragraphs.Add(new Paragraph(tolerated.Spans));
        }

        var gate = new Inline().Text("Worst verdict: ").Strong(ReportJson.VerdictName(report.Worst))
            .Text("; the scenario allows up to ").Strong(ReportJson.VerdictName(report.Allow));
        if (report.Failed) gate.Text(", so ").Code("phoebe experiment").Text(" fails.");
        else gate.Text(", so the campaign passes.");
        if (report.Restarts > 0) gate.Text($" The target was restarted {Times(report.Restarts)}.");
        paragraphs.Add(new Paragraph(gate.Spans));

        if (report.Interrupted)
        {
            paragraphs.Add(new Paragraph(new Inline().Strong("Interrupted:")
                .Text($" the campaign was stopped (Ctrl-C or SIGTERM) before it finished, so these results are partial{NotRun(report)}.").Spans));
        }
        return paragraphs;
    }

    /// <summary>The interrupted note under the title: <c>… 2 experiments did not run</c>.</summary>
    public static string NotRun(CampaignReport report) =>
        report.Skipped.Count switch
        {
            0 => "",
            1 => "; 1 experiment did not run",
            int k => $"; {k} experiments did not run",
        };

    private static string Times(int k) => k == 1 ? "once" : $"{k} times";

    /// <summary>What an experiment injects: <c>`write` failing with ENOSPC</c>, <c>`slow_reads` on `read`</c>.</summary>
    public static Inline Fault(ExperimentResult e)
    {
        var fault = new Inline();
        if (e.Syscall.Length > 0 && e.Errno.Length > 0) fault.Code(e.Syscall).Text($" failing with {e.Errno}");
        else
        {
            fault.Text(e.Rules.Count == 1 ? "rule " : "rules ");
            for (int i = 0; i < e.Rules.Count; i++)
            {
                if (i > 0) fault.Text(", ");
                fault.Code(e.Rules[i]);
            }
            if (e.Syscall.Length > 0) fault.Text(" on ").Code(e.Syscall);
        }
        if (e.RandomBaseline) fault.Text(" (random baseline)");
        return fault;
    }

    private static Inline Weakness(CampaignReport report, ExperimentResult e)
    {
        var line = new Inline().Code(e.Name).Text(": ").Append(Fault(e));
        switch (e.Verdict)
        {
            case Verdict.Crashed:
                line.Text(" crashed the target");
                if (!string.IsNullOrEmpty(e.CrashReason)) line.Text($" ({e.CrashReason})");
                break;
            case Verdict.Corrupted:
                line.Text(" corrupted the target's state: post-inspection failed");
                var failed = FailedAfterwards(e).ToList();
                for (int i = 0; i < failed.Count; i++)
                {
                    line.Text(i == 0 ? " (" : ", ").Code(failed[i].Check).Text($" failed {failed[i].Failures} of {failed[i].Runs} runs");
                }
                if (failed.Count > 0) line.Text(")");
                break;
            default:
                line.Text(" degraded the target");
                var below = e.Window.Checks.Where(c => BelowSteadyState(report, c)).ToList();
                for (int i = 0; i < below.Count; i++)
                {
                    line.Text(i == 0 ? ": " : "; ").Code(below[i].Check)
                        .Text($" succeeded in {Percent(below[i].SuccessRatio)} of runs (steady state {Percent(Baseline(report, below[i].Check))})");
                }
                break;
        }
        return line.Text(".");
    }
}

/// <summary>How a piece of report text is shown.</summary>
internal enum SpanKind
{
    /// <summary>Plain text.</summary>
    Text,

    /// <summary>A name from the user's files: a check, experiment, rule or syscall.</summary>
    Code,

    /// <summary>Emphasis.</summary>
    Strong,
}

/// <summary>A piece of report text, escaped by each format's renderer.</summary>
internal readonly record struct Span(SpanKind Kind, string Text);

/// <summary>A paragraph of findings, optionally followed by a list.</summary>
internal sealed record Paragraph(IReadOnlyList<Span> Spans, IReadOnlyList<IReadOnlyList<Span>>? Items = null);

/// <summary>Builds a line of <see cref="Span"/>s.</summary>
internal sealed class Inline
{
    private readonly List<Span> spans = [];

    public IReadOnlyList<Span> Spans => spans;

    public Inline Text(string text) => Add(SpanKind.Text, text);

    public Inline Code(string text) => Add(SpanKind.Code, text);

    public Inline Strong(string text) => Add(SpanKind.Strong, text);

    public Inline Append(Inline other)
    {
        spans.AddRange(other.spans);
        return this;
    }

    private Inline Add(SpanKind kind, string text)
    {
        // Adjacent plain text merges, so renderers see whole sentences.
        if (kind == SpanKind.Text && spans.Count > 0 && spans[^1].Kind == SpanKind.Text) spans[^1] = new Span(SpanKind.Text, spans[^1].Text + text);
        else spans.Add(new Span(kind, text));
        return this;
    }
}
