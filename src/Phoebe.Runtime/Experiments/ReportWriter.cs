using System.Text;

namespace Phoebe.Runtime.Experiments;

/// <summary>
/// Writes a campaign's reports into a directory: <c>report.md</c> (<see cref="ReportMarkdown"/>),
/// <c>report.json</c> (<see cref="ReportJson"/>) and <c>report.html</c> (<see cref="ReportHtml"/>), the formats a
/// scenario's <c>report.formats</c> names (docs/reports.md).
/// </summary>
public static class ReportWriter
{
    /// <summary>The formats, as a scenario names them.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["md", "json", "html"];

    /// <summary>The file a format is written to: <c>report.md</c>, <c>report.json</c>, <c>report.html</c>.</summary>
    public static string FileName(string format) => format switch
    {
        "md" or "json" or "html" => "report." + format,
        _ => throw new ArgumentException($"unknown report format \"{format}\" (expected md, json or html)", nameof(format)),
    };

    /// <summary>
    /// Writes <paramref name="report"/> in each of <paramref name="formats"/> into <paramref name="directory"/>
    /// (created if needed) and returns the files written, in the order given. Each file is written beside its
    /// final name and then renamed, so a reader never sees half a report.
    /// </summary>
    public static IReadOnlyList<string> Write(CampaignReport report, string directory, IEnumerable<string> formats)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(formats);
        var names = formats.Distinct(StringComparer.Ordinal).Select(f => (Format: f, Name: FileName(f))).ToList();
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (format, name) in names)
        {
            string path = Path.Combine(directory, name);
            string partial = path + ".partial";
            using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write))
            {
                if (format == "json") ReportJson.Write(report, stream);
                else
                {
                    using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                    if (format == "md") ReportMarkdown.Write(report, writer);
                    else ReportHtml.Write(report, writer);
                }
            }
            File.Move(partial, path, overwrite: true);
            written.Add(path);
        }
        return written;
    }
}
