using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Experiments;

/// <summary>
/// <c>report.html</c>: one self-contained page (no request leaves it: it works offline from <c>file://</c>) with the
/// Markdown report's tables and findings, and per experiment a chart of each health check's success over time
/// beside its steady-state ratio, and a chart of the injections over time. The charts are drawn by uPlot, inlined
/// (<see cref="ChartAssets"/>). All text is HTML-encoded and the chart data is JSON with <c>&lt;</c>, <c>&gt;</c>
/// and <c>&amp;</c> escaped, so names from user files cannot end an element or inject markup.
/// </summary>
/// <remarks>
/// When the charts are drawn, the page's script sets <c>data-charts-rendered</c> on <c>&lt;body&gt;</c> to how
/// many were drawn (<c>data-charts-expected</c> says how many there are), or <c>data-charts-error</c> to what
/// went wrong.
/// </remarks>
public static class ReportHtml
{
    /// <summary>How many runs of a check the success ratio of the charts is computed over.</summary>
    public const int RollingRuns = 5;

    // Tableau's 10 colours: told apart in print and by most colour-blind readers.
    private static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    private const string InjectionColor = "#444444";

    /// <summary>Writes <paramref name="report"/> to <paramref name="writer"/>.</summary>
    public static void Write(CampaignReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(ToHtml(report));
    }

    /// <summary>The report as an HTML page.</summary>
    public static string ToHtml(CampaignReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new Page(report).Build();
    }

    /// <summary>Text for HTML content or a quoted attribute value.</summary>
    internal static string H(string text) => WebUtility.HtmlEncode(text);

    /// <summary>One chart: its series are aligned on one x axis (seconds since the campaign started), null where a series has no point.</summary>
    private sealed record Chart(string Id, string YLabel, double[]? YRange, double[] XRange, double[]? Shade, double[] X, IReadOnlyList<ChartSeries> Series);

    private sealed record ChartSeries(string Label, string Color, bool Dashed, double?[] Values);

    private sealed class Page(CampaignReport report)
    {
        private readonly StringBuilder html = new();
        private readonly List<Chart> charts = [];
        private readonly IReadOnlyList<string> checkNames = ReportFacts.CheckNames(report);

        public string Build()
        {
            // The body first: it decides which charts there are.
            Header();
            SteadyState();
            Experiments();
            Findings();
            Skipped();
            Details();
            string body = html.ToString();

            html.Clear();
            html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
            html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
            // Nothing may be fetched: the page is whole, and a name from a user file cannot make it call out.
            html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n");
            html.Append($"<title>Chaos report: {H(report.Scenario)}</title>\n");
            html.Append("<style>\n").Append(ChartAssets.Style).Append('\n').Append(Css).Append("</style>\n");
            html.Append("</head>\n");
            html.Append($"<body data-charts-expected=\"{charts.Count}\">\n<main>\n");
            html.Append(body);
            html.Append("</main>\n");
            html.Append("<script type=\"application/json\" id=\"phoebe-charts\">").Append(ChartsJson()).Append("</script>\n");
            html.Append("<script>\n/*! uPlot, inlined by Phoebe. Its license:\n").Append(ChartAssets.License).Append("*/\n");
            html.Append(ChartAssets.Script).Append("\n</script>\n");
            html.Append("<script>\n").Append(Script).Append("</script>\n");
            html.Append("</body>\n</html>\n");
            return html.ToString();
        }

        private void Header()
        {
            html.Append($"<h1>Chaos report: {H(report.Scenario)}</h1>\n");
            html.Append("<dl class=\"facts\">\n");
            Fact("Scenario", $"<code>{H(report.Scenario)}</code> (<code>{H(report.ScenarioPath)}</code>)");
            Fact("Target", $"<code>{H(report.Target)}</code>");
            Fact("Started", H(ReportFacts.Timestamp(report.StartedUtc)));
            Fact("Duration", H(ReportFacts.Duration(report.Duration)));
            Fact("Seed", report.Seed.ToString(CultureInfo.InvariantCulture));
            Fact("Tolerance", $"{H(ReportFacts.Tolerance(report.Tolerance))} below each check's steady-state success ratio");
            Fact("Restarts", ReportFacts.Integer(report.Restarts));
            Fact("Result", $"<span class=\"result {(report.Failed ? "failed" : "passed")}\">{(report.Failed ? "failed" : "passed")}</span> "
                + $"(worst verdict {Verdict(report.Worst)}, allowed up to {Verdict(report.Allow)})");
            html.Append("</dl>\n");
            if (report.Interrupted)
            {
                html.Append($"<p class=\"interrupted\"><strong>Interrupted:</strong> the campaign was stopped (Ctrl-C or SIGTERM) before it finished{H(ReportFacts.NotRun(report))}.</p>\n");
            }
        }

        private void Fact(string name, string valueHtml) => html.Append($"<dt>{name}</dt><dd>{valueHtml}</dd>\n");

        private void SteadyState()
        {
            var steady = report.SteadyState;
            html.Append("<h2>Steady state</h2>\n");
            html.Append($"<p>From {H(ReportFacts.Duration(steady.Start))} to {H(ReportFacts.Duration(steady.End))} after the start.</p>\n");
            if (steady.Checks.Count == 0)
            {
                html.Append("<p>No health check ran: only crashes can be told apart.</p>\n");
                return;
            }
            html.Append("<table>\n<thead><tr><th>check</th><th class=\"num\">runs</th><th class=\"num\">success ratio</th></tr></thead>\n<tbody>\n");
            foreach (var c in steady.Checks)
            {
                html.Append($"<tr><td><code>{H(c.Check)}</code></td><td class=\"num\">{c.Runs}</td><td class=\"num\">{(c.Runs == 0 ? "no runs" : H(ReportFacts.Percent(c.SuccessRatio)))}</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n");
            ChecksChart(
                "Health checks during the steady state: success ratio over the last " + RollingRuns + " runs.",
                [steady], shade: null, baselines: false);
        }

        private void Experiments()
        {
            html.Append("<h2>Experiments</h2>\n");
            if (report.Experiments.Count == 0)
            {
                html.Append("<p>No experiment ran.</p>\n");
                return;
            }
            html.Append("<table class=\"experiments\">\n<thead><tr><th>experiment</th><th>syscall</th><th>errno</th><th class=\"num\">rate</th><th class=\"num\">injections</th>");
            foreach (string c in checkNames) html.Append($"<th class=\"num\"><code>{H(c)}</code> failed</th>");
            html.Append("<th>crash</th><th>corruption</th><th>verdict</th></tr></thead>\n<tbody>\n");
            for (int i = 0; i < report.Experiments.Count; i++)
            {
                var e = report.Experiments[i];
                html.Append($"<tr><td><a href=\"#experiment-{i}\"><code>{H(e.Name)}</code></a>{(e.RandomBaseline ? " (random baseline)" : "")}</td>");
                html.Append($"<td>{(e.Syscall.Length > 0 ? $"<code>{H(e.Syscall)}</code>" : "—")}</td>");
                html.Append($"<td>{(e.Errno.Length > 0 ? H(e.Errno) : "—")}</td>");
                html.Append($"<td class=\"num\">{H(ReportFacts.Rate(e))}</td>");
                html.Append($"<td class=\"num\">{e.Injections}</td>");
                foreach (string name in checkNames)
                {
                    var c = ReportFacts.Find(e.Window, name);
                    if (c is null) html.Append("<td class=\"num\">—</td>");
                    else
                    {
                        string below = ReportFacts.BelowSteadyState(report, c) ? " below" : "";
                        html.Append($"<td class=\"num{below}\">{H(ReportFacts.Failures(c))}</td>");
                    }
                }
                html.Append($"<td>{H(ReportFacts.Crash(e))}</td>");
                html.Append($"<td>{Corruption(e)}</td>");
                html.Append($"<td>{Verdict(e.Verdict)}</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n");
            html.Append("<p class=\"note\">A check's cell is its failure ratio while injecting; highlighted when its success ratio fell more than the tolerance below the steady state's.</p>\n");
        }

        private static string Corruption(ExperimentResult e)
        {
            if (e.PostInspection is null) return e.Corrupted ? "yes" : "not inspected";
            if (!e.Corrupted) return "no";
            var failed = ReportFacts.FailedAfterwards(e).Select(c => $"<code>{H(c.Check)}</code> {c.Failures}/{c.Runs}").ToList();
            return failed.Count == 0 ? "yes" : $"yes ({string.Join(", ", failed)} failed)";
        }

        private void Findings()
        {
            html.Append("<h2>Findings</h2>\n");
            foreach (var p in ReportFacts.Findings(report))
            {
                html.Append("<p>").Append(Spans(p.Spans)).Append("</p>\n");
                if (p.Items is { Count: > 0 } items)
                {
                    html.Append("<ul>\n");
                    foreach (var item in items) html.Append("<li>").Append(Spans(item)).Append("</li>\n");
                    html.Append("</ul>\n");
                }
            }
        }

        private void Skipped()
        {
            if (report.Skipped.Count == 0) return;
            html.Append("<h2>Skipped</h2>\n<ul>\n");
            foreach (var s in report.Skipped) html.Append($"<li><code>{H(s.Name)}</code>: {H(s.Reason)}</li>\n");
            html.Append("</ul>\n");
        }

        private void Details()
        {
            if (report.Experiments.Count == 0) return;
            html.Append("<h2>Each experiment</h2>\n");
            for (int i = 0; i < report.Experiments.Count; i++)
            {
                var e = report.Experiments[i];
                html.Append($"<section class=\"experiment\" id=\"experiment-{i}\">\n");
                html.Append($"<h3><code>{H(e.Name)}</code> {Verdict(e.Verdict)}</h3>\n");
                if (e.Why.Length > 0) html.Append($"<p class=\"why\">{H(e.Why)}</p>\n");
                html.Append("<dl class=\"facts\">\n");
                Fact("Injects", Spans(ReportFacts.Fault(e).Spans));
                Fact("Rules", string.Join(", ", e.Rules.Select(r => $"<code>{H(r)}</code>")));
                if (e.Rate is not null) Fact("Rate", H(ReportFacts.Rate(e)));
                Fact("Injections", $"{e.Injections} of {e.Calls} calls");
                Fact("Window", $"{H(ReportFacts.Duration(e.Window.Start))} to {H(ReportFacts.Duration(e.Window.End))}");
                Fact("Post-inspection", e.PostInspection is { } post
                    ? $"{H(ReportFacts.Duration(post.Start))} to {H(ReportFacts.Duration(post.End))}"
                    : "not run");
                if (e.Crashed) Fact("Crash", H(ReportFacts.Crash(e)));
                if (e.Restarted) Fact("Restarted", "yes, after this experiment");
                html.Append("</dl>\n");
                CheckTable(e);
                html.Append("<div class=\"charts\">\n");
                ChecksChart(
                    $"Health checks: success ratio over the last {RollingRuns} runs; dashed: the steady state's; shaded: while injecting.",
                    e.PostInspection is { } p ? [e.Window, p] : [e.Window], shade: [ReportFacts.Seconds(e.Window.Start), ReportFacts.Seconds(e.Window.End)], baselines: true);
                InjectionsChart(e);
                html.Append("</div>\n</section>\n");
            }
        }

        private void CheckTable(ExperimentResult e)
        {
            var rows = e.Window.Checks.Select(c => (Phase: "while injecting", Check: c))
                .Concat(e.PostInspection?.Checks.Select(c => (Phase: "post-inspection", Check: c)) ?? [])
                .ToList();
            if (rows.Count == 0) return;
            html.Append("<table>\n<thead><tr><th>check</th><th>phase</th><th class=\"num\">runs</th><th class=\"num\">failed</th><th class=\"num\">steady state</th><th>last failure</th></tr></thead>\n<tbody>\n");
            foreach (var (phase, c) in rows)
            {
                var last = c.Samples.LastOrDefault(s => !s.Ok);
                string below = phase == "while injecting" && ReportFacts.BelowSteadyState(report, c) ? " below" : "";
                html.Append($"<tr><td><code>{H(c.Check)}</code></td><td>{phase}</td><td class=\"num\">{c.Runs}</td>");
                html.Append($"<td class=\"num{below}\">{H(ReportFacts.Failures(c))}</td>");
                html.Append($"<td class=\"num\">{H(ReportFacts.Percent(ReportFacts.Baseline(report, c.Check)))}</td>");
                html.Append($"<td>{(last is null ? "" : $"at {H(ReportFacts.Duration(last.At))}: {H(last.Message ?? "failed")}")}</td></tr>\n");
            }
            html.Append("</tbody>\n</table>\n");
        }

        private void ChecksChart(string caption, IReadOnlyList<PhaseResult> phases, double[]? shade, bool baselines)
        {
            // Each check's rolling success ratio, restarted at each phase (injecting, then post-inspection).
            var points = new List<(string Check, double X, double Y)>();
            foreach (var phase in phases)
            {
                foreach (var c in phase.Checks)
                {
                    for (int i = 0; i < c.Samples.Count; i++)
                    {
                        int from = Math.Max(0, i - RollingRuns + 1);
                        int ok = 0;
                        for (int j = from; j <= i; j++) ok += c.Samples[j].Ok ? 1 : 0;
                        points.Add((c.Check, ReportFacts.Seconds(c.Samples[i].At), (double)ok / (i - from + 1)));
                    }
                }
            }
            if (points.Count == 0)
            {
                html.Append($"<figure><figcaption>{H(caption)}</figcaption><p class=\"empty\">No health check ran.</p></figure>\n");
                return;
            }
            double[] x = [.. points.Select(p => p.X).Distinct().Order()];
            var index = x.Select((v, i) => (v, i)).ToDictionary(t => t.v, t => t.i);
            var series = new List<ChartSeries>();
            foreach (string check in checkNames.Where(n => points.Any(p => p.Check == n)))
            {
                var values = new double?[x.Length];
                foreach (var p in points.Where(p => p.Check == check)) values[index[p.X]] = p.Y;
                series.Add(new ChartSeries(check, Color(check), false, values));
            }
            if (baselines)
            {
                foreach (var s in series.ToList())
                {
                    if (ReportFacts.Find(report.SteadyState, s.Label) is not { Runs: > 0 } steady) continue;
                    series.Add(new ChartSeries($"{s.Label} (steady state)", s.Color, true, [.. x.Select(_ => (double?)steady.SuccessRatio)]));
                }
            }
            double start = ReportFacts.Seconds(phases[0].Start), end = ReportFacts.Seconds(phases[^1].End);
            Add(caption, new Chart(NextId(), "success ratio", [0, 1.05], XRange(start, end, x), shade, x, series));
        }

        private void InjectionsChart(ExperimentResult e)
        {
            const string caption = "Injections since the experiment began; shaded: while injecting.";
            if (e.InjectionTimeline.Count == 0)
            {
                html.Append($"<figure><figcaption>{H(caption)}</figcaption><p class=\"empty\">No injection was sampled.</p></figure>\n");
                return;
            }
            var samples = e.InjectionTimeline.GroupBy(s => ReportFacts.Seconds(s.At)).Select(g => (X: g.Key, Y: (double?)g.Last().Injections)).OrderBy(s => s.X).ToList();
            double[] x = [.. samples.Select(s => s.X)];
            var end = e.PostInspection?.End ?? e.Window.End;
            Add(caption, new Chart(NextId(), "injections", null, XRange(ReportFacts.Seconds(e.Window.Start), ReportFacts.Seconds(end), x),
                [ReportFacts.Seconds(e.Window.Start), ReportFacts.Seconds(e.Window.End)], x,
                [new ChartSeries("injections", InjectionColor, false, [.. samples.Select(s => s.Y)])]));
        }

        private static double[] XRange(double start, double end, double[] x)
        {
            double lo = Math.Min(start, x[0]), hi = Math.Max(end, x[^1]);
            return hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
        }

        private string NextId() => $"chart-{charts.Count}";

        private void Add(string caption, Chart chart)
        {
            charts.Add(chart);
            html.Append($"<figure><figcaption>{H(caption)}</figcaption><div class=\"chart\" id=\"{chart.Id}\"></div></figure>\n");
        }

        private string Color(string check)
        {
            int i = 0;
            for (; i < checkNames.Count && checkNames[i] != check; i++) { }
            return Palette[i % Palette.Length];
        }

        private string ChartsJson()
        {
            using var stream = new MemoryStream();
            // The default encoder escapes <, >, &, ' and non-ASCII: nothing in the data can close the <script>.
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
            {
                json.WriteStartArray();
                foreach (var c in charts)
                {
                    json.WriteStartObject();
                    json.WriteString("id", c.Id);
                    json.WriteString("yLabel", c.YLabel);
                    Numbers(json, "yRange", c.YRange);
                    Numbers(json, "xRange", c.XRange);
                    Numbers(json, "shade", c.Shade);
                    Numbers(json, "x", c.X);
                    json.WriteStartArray("series");
                    foreach (var s in c.Series)
                    {
                        json.WriteStartObject();
                        json.WriteString("label", s.Label);
                        json.WriteString("color", s.Color);
                        json.WriteBoolean("dashed", s.Dashed);
                        json.WriteStartArray("values");
                        foreach (var v in s.Values)
                        {
                            if (v is { } d) json.WriteNumberValue(d);
                            else json.WriteNullValue();
                        }
                        json.WriteEndArray();
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            return Encoding.UTF8.GetString(stream.ToArray());
        }

        private static void Numbers(Utf8JsonWriter json, string name, double[]? values)
        {
            if (values is null)
            {
                json.WriteNull(name);
                return;
            }
            json.WriteStartArray(name);
            foreach (double v in values) json.WriteNumberValue(v);
            json.WriteEndArray();
        }
    }

    private static string Verdict(Verdict verdict)
    {
        string name = ReportJson.VerdictName(verdict);
        return $"<span class=\"verdict {name}\">{name}</span>";
    }

    private static string Spans(IReadOnlyList<Span> spans) => string.Concat(spans.Select(s => s.Kind switch
    {
        SpanKind.Code => $"<code>{H(s.Text)}</code>",
        SpanKind.Strong => $"<strong>{H(s.Text)}</strong>",
        _ => H(s.Text),
    }));

    private const string Css = """
        body { font: 15px/1.45 system-ui, sans-serif; color: #222; background: #fff; margin: 0; }
        main { max-width: 1100px; margin: 0 auto; padding: 1em 1.5em 3em; }
        h1 { font-size: 1.6em; margin-bottom: 0.4em; }
        h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
        code { font: 0.92em ui-monospace, monospace; background: #f3f3f3; padding: 0 0.25em; border-radius: 3px; overflow-wrap: anywhere; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; margin: 0.5em 0; }
        dl.facts dt { font-weight: 600; }
        dl.facts dd { margin: 0; }
        table { border-collapse: collapse; margin: 0.6em 0; }
        th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f6f6f6; }
        td.num, th.num { text-align: right; }
        td.num { white-space: nowrap; }
        td.below { background: #fdecea; font-weight: 600; }
        .verdict { display: inline-block; padding: 0 0.5em; border-radius: 0.8em; font-size: 0.85em; font-weight: 600; }
        .verdict.resilient { background: #e3f4e1; color: #1e5e1a; }
        .verdict.degraded { background: #fff3cd; color: #7a5a00; }
        .verdict.crashed { background: #fbe0e0; color: #8a1010; }
        .verdict.corrupted { background: #eadff5; color: #4b2270; }
        .result { font-weight: 700; }
        .result.failed { color: #8a1010; }
        .result.passed { color: #1e5e1a; }
        .interrupted { background: #fff3cd; border-left: 4px solid #c99a00; padding: 0.5em 0.8em; }
        .note, .why, figcaption, .empty { color: #555; }
        section.experiment { border-top: 1px solid #eee; margin-top: 1.5em; }
        figure { margin: 0.8em 0; }
        figcaption { font-size: 0.9em; margin-bottom: 0.3em; }
        .chart { width: 100%; max-width: 960px; min-height: 300px; }

        """;

    // Draws every chart; sets data-charts-rendered on <body> when each has been drawn once.
    private const string Script = """
        (function () {
          "use strict";
          var body = document.body;
          function fail(message) { body.setAttribute("data-charts-error", String(message)); }
          window.addEventListener("error", function (e) { fail(e.message); });
          try {
            if (typeof uPlot !== "function") throw new Error("the chart library did not load");
            var charts = JSON.parse(document.getElementById("phoebe-charts").textContent);
            var drawn = 0;
            var errors = [];
            charts.forEach(function (c) {
              try {
                draw(c);
              } catch (e) {
                errors.push(c.id + ": " + (e && e.message ? e.message : e));
                fail(errors.join("; "));
              }
            });
            if (charts.length === 0) body.setAttribute("data-charts-rendered", "0");

            function draw(c) {
              var el = document.getElementById(c.id);
              var first = true;
              var hooks = {
                draw: [function () {
                  if (!first) return;
                  first = false;
                  drawn++;
                  el.setAttribute("data-rendered", "true");
                  body.setAttribute("data-charts-rendered", String(drawn));
                }]
              };
              if (c.shade) {
                hooks.drawClear = [function (u) {
                  var l = Math.max(u.bbox.left, u.valToPos(c.shade[0], "x", true));
                  var r = Math.min(u.bbox.left + u.bbox.width, u.valToPos(c.shade[1], "x", true));
                  if (r <= l) return;
                  u.ctx.save();
                  u.ctx.fillStyle = "rgba(110, 110, 110, 0.12)";
                  u.ctx.fillRect(l, u.bbox.top, r - l, u.bbox.height);
                  u.ctx.restore();
                }];
              }
              var series = [{ label: "seconds" }].concat(c.series.map(function (s) {
                return {
                  label: s.label, stroke: s.color, width: s.dashed ? 1.5 : 2, dash: s.dashed ? [6, 4] : undefined,
                  spanGaps: true, points: { show: !s.dashed, size: 5 }
                };
              }));
              var y = c.yRange ? { range: c.yRange } : { range: function (u, min, max) { return [0, Math.max(1, max * 1.08)]; } };
              var opts = {
                width: Math.max(320, Math.min(960, el.clientWidth || 800)),
                height: 260,
                scales: { x: { time: false, auto: false, range: c.xRange }, y: y },
                axes: [{ label: "seconds since the campaign started" }, { label: c.yLabel }],
                series: series,
                legend: { live: false },
                hooks: hooks
              };
              new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), el);
            }
          } catch (e) {
            fail(e && e.message ? e.message : e);
          }
        })();

        """;
}
