using System.Text.Json;
using System.Text.RegularExpressions;
using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>report.html without a browser: escaping, self-containment, the inlined chart library.</summary>
public partial class ReportHtmlTests
{
    [Fact]
    public void Hostile_names_are_text_not_markup()
    {
        var report = SampleReports.Hostile();
        string html = ReportHtml.ToHtml(report);

        // Only the page's own three scripts, and nothing from the report ends one early.
        Assert.Equal(3, Regex.Count(html, "<script", RegexOptions.IgnoreCase));
        Assert.Equal(3, Regex.Count(html, "</script", RegexOptions.IgnoreCase));
        Assert.Equal(1, Regex.Count(html, "</style", RegexOptions.IgnoreCase));
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b ", html);
        Assert.DoesNotContain("<i>", html);
        Assert.DoesNotContain("<rule>", html);
        Assert.DoesNotContain("<!--", Outside(html, "script"));

        // Encoded where shown.
        Assert.Contains("<h1>Chaos report: &lt;img src=x onerror=&quot;document.body.setAttribute(&#39;data-pwned&#39;,&#39;scenario&#39;)&quot;&gt;</h1>", html);
        Assert.Contains("<code>&lt;/script&gt;&lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;,&#39;check&#39;)&lt;/script&gt;</code>", html);
        Assert.Contains("<p class=\"why\">&lt;script&gt;alert(&#39;why&#39;)&lt;/script&gt;</p>", html);
        Assert.Contains("<code>&lt;i&gt;skipped&lt;/i&gt;</code>: aborted after &lt;/script&gt; 2 crashes", html);
        Assert.Contains("&lt;!-- &lt;/script&gt;", html); // the failure message, in the check table
    }

    [Fact]
    public void Chart_data_is_escaped_json_that_reads_back_to_the_names()
    {
        string html = ReportHtml.ToHtml(SampleReports.Hostile());
        string json = ChartData(html);
        Assert.DoesNotContain("<", json);
        Assert.DoesNotContain(">", json);
        Assert.DoesNotContain("&", json);
        Assert.DoesNotContain("\u2028", json);

        using var charts = JsonDocument.Parse(json);
        Assert.Equal(3, charts.RootElement.GetArrayLength()); // steady state, the experiment's checks, its injections
        var labels = charts.RootElement.EnumerateArray().SelectMany(c => c.GetProperty("series").EnumerateArray()).Select(s => s.GetProperty("label").GetString());
        Assert.Contains(SampleReports.HostileCheck, labels);
        Assert.Contains(SampleReports.HostileCheck + " (steady state)", labels);
    }

    [Fact]
    public void Page_is_self_contained()
    {
        string html = ReportHtml.ToHtml(SampleReports.Campaign());
        Assert.StartsWith("<!DOCTYPE html>\n", html);
        Assert.Contains("content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\"", html);
        string markup = Outside(html, "script", "style");
        // No element loads anything: no src, no stylesheet link, no external href (only in-page anchors).
        Assert.DoesNotMatch(@"<[a-z]+\s[^>]*\bsrc\s*=", markup);
        Assert.DoesNotContain("<link", markup);
        Assert.All(Regex.Matches(markup, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value), href => Assert.StartsWith("#", href));
        Assert.DoesNotContain("@import", html);
    }

    [Fact]
    public void Chart_library_and_its_license_are_inlined_from_the_committed_assets()
    {
        string assets = Path.Combine(RepoPaths.Root, "src", "Phoebe.Runtime", "Experiments", "Assets");
        string script = File.ReadAllText(Path.Combine(assets, "uPlot.iife.min.js"));
        string style = File.ReadAllText(Path.Combine(assets, "uPlot.min.css"));
        string license = File.ReadAllText(Path.Combine(assets, "uPlot.LICENSE"));
        Assert.Equal(script, ChartAssets.Script);
        Assert.Equal(style, ChartAssets.Style);
        Assert.Equal(license, ChartAssets.License);

        string html = ReportHtml.ToHtml(SampleReports.Campaign());
        Assert.Contains(script, html);
        Assert.Contains(style, html);
        Assert.Contains(license, html);
        Assert.Contains("Copyright (c) 2022 Leon Sorokin", html);

        // The committed build is the version pinned for npm.
        using var pin = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tools", "chart-lib", "package.json")));
        string version = pin.RootElement.GetProperty("devDependencies").GetProperty("uplot").GetString()!;
        Assert.StartsWith($"/*! https://github.com/leeoniya/uPlot (v{version}) */", script);
    }

    [Fact]
    public void Charts_are_one_for_the_steady_state_and_two_per_experiment_with_data()
    {
        var campaign = SampleReports.Campaign();
        Assert.Contains("<body data-charts-expected=\"11\">", ReportHtml.ToHtml(campaign));

        // Without samples there is nothing to draw: a note instead of an empty chart.
        var bare = campaign with
        {
            Experiments = [campaign.Experiments[1] with { Window = SampleReports.Phase(24, 28), InjectionTimeline = [] }],
        };
        string html = ReportHtml.ToHtml(bare);
        Assert.Contains("<body data-charts-expected=\"1\">", html);
        Assert.Contains("No injection was sampled.", html);
        Assert.Contains("No health check ran.", html);
        Assert.Single(Regex.Matches(html, "<div class=\"chart\" id=\"chart-0\">"));
    }

    [Fact]
    public void Checks_chart_shows_the_rolling_success_ratio_and_the_steady_state()
    {
        // disk|full: ping fails its 3rd and 4th runs; steady state 100% (ping) and 90% (roundtrip).
        var campaign = SampleReports.Campaign();
        using var charts = JsonDocument.Parse(ChartData(ReportHtml.ToHtml(campaign with { Experiments = [campaign.Experiments[1]] })));
        var checks = charts.RootElement[1];
        Assert.Equal([24, 28], checks.GetProperty("xRange").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([24, 28], checks.GetProperty("shade").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal([24.25, 25.25, 26.25, 27.25], checks.GetProperty("x").EnumerateArray().Select(v => v.GetDouble()));
        var series = checks.GetProperty("series").EnumerateArray().ToDictionary(s => s.GetProperty("label").GetString()!, s => s.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray());
        Assert.Equal([1, 1, 2.0 / 3, 0.5], series["ping"]);
        Assert.Equal([1, 1, 1, 1], series["ping (steady state)"]);
        Assert.Equal([0.9, 0.9, 0.9, 0.9], series["roundtrip (steady state)"]);

        var injections = charts.RootElement[2];
        Assert.Equal([0, 9, 18, 27, 37], injections.GetProperty("series")[0].GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
    }

    /// <summary>The text of the page's JSON data script.</summary>
    internal static string ChartData(string html)
    {
        var m = Regex.Match(html, "<script type=\"application/json\" id=\"phoebe-charts\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(m.Success, "the page has no chart data");
        return m.Groups[1].Value;
    }

    /// <summary>The page without the contents of its <paramref name="elements"/> elements.</summary>
    private static string Outside(string html, params string[] elements)
    {
        foreach (string e in elements) html = Regex.Replace(html, $"<{e}[^>]*>.*?</{e}>", "", RegexOptions.Singleline);
        return html;
    }
}
