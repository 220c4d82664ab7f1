using System.Text;
using Phoebe.Runtime.Experiments;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>ReportWriter: the files a scenario's report.formats names, whole, in a directory it creates.</summary>
public sealed class ReportWriterTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("phoebe-report-");

    [Fact]
    public void Writes_each_format_named_and_nothing_else()
    {
        var report = SampleReports.Campaign();
        string outDir = Path.Combine(dir.FullName, "out", "nested");
        var written = ReportWriter.Write(report, outDir, ["json", "md", "json"]);
        Assert.Equal([Path.Combine(outDir, "report.json"), Path.Combine(outDir, "report.md")], written);
        Assert.Equal(["report.json", "report.md"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order());

        byte[] md = File.ReadAllBytes(Path.Combine(outDir, "report.md"));
        Assert.False(md.AsSpan().StartsWith(Encoding.UTF8.Preamble), "report.md starts with a byte order mark");
        Assert.Equal(ReportMarkdown.ToMarkdown(report), Encoding.UTF8.GetString(md));
        ReportJsonTests.AssertSame(report, ReportJson.Read(File.ReadAllText(Path.Combine(outDir, "report.json"))));
    }

    [Fact]
    public void Overwrites_an_earlier_report()
    {
        File.WriteAllText(Path.Combine(dir.FullName, "report.html"), "old");
        ReportWriter.Write(SampleReports.Campaign(), dir.FullName, ReportWriter.Formats);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(Path.Combine(dir.FullName, "report.html")));
        Assert.Equal(3, Directory.GetFiles(dir.FullName).Length);
    }

    [Fact]
    public void Rejects_an_unknown_format_before_writing_anything()
    {
        var e = Assert.Throws<ArgumentException>(() => ReportWriter.Write(SampleReports.Campaign(), dir.FullName, ["md", "pdf"]));
        Assert.StartsWith("unknown report format \"pdf\" (expected md, json or html)", e.Message);
        Assert.Empty(Directory.GetFiles(dir.FullName));
    }

    public void Dispose()
    {
        try { dir.Delete(recursive: true); } catch (IOException) { }
    }
}
