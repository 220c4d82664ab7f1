using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Scenarios;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>docs/reports.md: its JSON example reads, and it names every field report.json has.</summary>
public partial class ReportDocsTests
{
    private static string Docs => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "reports.md"));

    [GeneratedRegex(@"^```json\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [Fact]
    public void Example_reads_and_writes_back_the_same()
    {
        string example = JsonBlock().Match(Docs).Groups["code"].Value;
        var report = ReportJson.Read(example);
        Assert.Equal("demo", report.Scenario);
        Assert.Equal(8095437206514931717UL, report.Seed);
        Assert.Equal(Verdict.Degraded, Assert.Single(report.Experiments).Verdict);
        Assert.Equal(TimeSpan.FromSeconds(3.25), report.Experiments[0].Window.Checks[0].Samples[1].At);
        Assert.Equal(example, ReportJson.ToJson(report));
    }

    [Fact]
    public void Every_field_is_documented()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        Collect(JsonNode.Parse(ReportJson.ToJson(SampleReports.Campaign())), names);
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.Contains($"`{name}`", Docs));
    }

    private static void Collect(JsonNode? node, ISet<string> names)
    {
        if (node is JsonObject o)
        {
            foreach (var (name, value) in o)
            {
                names.Add(name);
                Collect(value, names);
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var item in a) Collect(item, names);
        }
    }
}
