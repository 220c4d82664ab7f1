using System.Text.RegularExpressions;
using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>report.html opened in Debian's headless Chromium, from file:// with no network: the charts draw.</summary>
public sealed partial class ReportBrowserTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("phoebe-report-");

    [SkippableFact]
    public void Every_chart_draws_in_headless_Chromium()
    {
        Chromium.Require();
        var report = SampleReports.Campaign();
        string dom = Chromium.DumpDom(Write(report));

        // One chart for the steady state, and per experiment one for its checks and one for its injections.
        int expected = (report.SteadyState.Checks.Any(c => c.Samples.Count > 0) ? 1 : 0)
            + report.Experiments.Sum(e => (e.Window.Checks.Concat(e.PostInspection?.Checks ?? []).Any(c => c.Samples.Count > 0) ? 1 : 0) + (e.InjectionTimeline.Count > 0 ? 1 : 0));
        Assert.Equal(11, expected);
        var body = Body(dom);
        Assert.False(body.ContainsKey("data-charts-error"), $"the page's script failed: {body.GetValueOrDefault("data-charts-error")}");
        Assert.Equal(expected.ToString(), body.GetValueOrDefault("data-charts-expected"));
        Assert.Equal(expected.ToString(), body.GetValueOrDefault("data-charts-rendered"));

        // Each chart's element was drawn into and holds uPlot's canvas.
        var charts = ChartElements(dom);
        Assert.Equal(Enumerable.Range(0, expected).Select(i => $"chart-{i}"), charts.Select(c => c.Id));
        Assert.All(charts, c =>
        {
            Assert.True(c.Rendered, $"{c.Id} was not drawn");
            Assert.Contains("<canvas", c.Html);
            Assert.Contains("class=\"uplot", c.Html);
        });
    }

    [SkippableFact]
    public void Hostile_names_run_no_script_and_show_as_text_in_headless_Chromium()
    {
        Chromium.Require();
        string dom = Chromium.DumpDom(Write(SampleReports.Hostile()));
        var body = Body(dom);
        Assert.False(body.ContainsKey("data-pwned"), "a name from the report ran as a script");
        Assert.False(body.ContainsKey("data-charts-error"), $"the page's script failed: {body.GetValueOrDefault("data-charts-error")}");
        Assert.Equal("3", body.GetValueOrDefault("data-charts-rendered"));
        // The chart legend shows the check's name as text (serialized as Chromium does: only &, < and > encoded).
        string text = SampleReports.HostileCheck.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
        Assert.Contains("<div class=\"u-label\">" + text + " (steady state)</div>", dom);
    }

    [SkippableFact]
    public void Screenshot_shows_the_charts_lines()
    {
        Chromium.Require();
        string page = Write(SampleReports.Campaign());
        // The steady-state chart is in the top 1300 pixels; `ping` is drawn in the palette's first colour.
        const string ping = "#1f77b4";
        var shot = Chromium.Screenshot(page, 1200, 1300);
        Assert.Equal((1200, 1300), (shot.Width, shot.Height));
        int drawn = shot.Count(ping, 12);

        // The same page without the chart library (its script then fails): nothing else is drawn in that colour.
        string html = File.ReadAllText(page);
        string without = Path.Combine(dir.FullName, "without-charts.html");
        File.WriteAllText(without, html.Replace(ChartAssets.Script, "", StringComparison.Ordinal));
        int undrawn = Chromium.Screenshot(without, 1200, 1300).Count(ping, 12);

        Assert.True(drawn >= 400, $"only {drawn} pixels of {ping} on the page with charts");
        Assert.True(drawn > 5 * Math.Max(undrawn, 1), $"{drawn} pixels of {ping} with charts, {undrawn} without: the charts drew nothing");
    }

    public void Dispose()
    {
        try { dir.Delete(recursive: true); } catch (IOException) { }
    }

    private string Write(CampaignReport report)
    {
        var written = ReportWriter.Write(report, dir.FullName, ["html"]);
        return Assert.Single(written);
    }

    private static Dictionary<string, string> Body(string dom)
    {
        var tag = BodyTag().Match(dom);
        Assert.True(tag.Success, "no <body> in the dumped DOM");
        return Attribute().Matches(tag.Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    /// <summary>Each chart element with its markup up to the next one.</summary>
    private static List<(string Id, bool Rendered, string Html)> ChartElements(string dom)
    {
        var starts = ChartTag().Matches(dom).ToList();
        return [.. starts.Select((m, i) => (
            m.Groups["id"].Value,
            m.Value.Contains("data-rendered=\"true\"", StringComparison.Ordinal),
            dom[m.Index..(i + 1 < starts.Count ? starts[i + 1].Index : dom.Length)]))];
    }

    [GeneratedRegex("<body[^>]*>")]
    private static partial Regex BodyTag();

    [GeneratedRegex("([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex Attribute();

    [GeneratedRegex("<div class=\"chart\" id=\"(?<id>chart-\\d+)\"[^>]*>")]
    private static partial Regex ChartTag();
}
