using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Experiments;

/// <summary>
/// <c>report.json</c>: a <see cref="CampaignReport"/> as JSON (docs/reports.md), and back. Names are
/// camelCase, verdicts lower-case strings, times seconds from the start of the campaign in fields named
/// <c>…Seconds</c>, and the top level carries <c>version</c>, <c>worst</c> and <c>failed</c> so that a CI
/// gate need not compute them. The seed is a string: it is 64 bits, more than a JSON number keeps in
/// most readers (jq, JavaScript).
/// </summary>
public static class ReportJson
{
    /// <summary>The version of the format written, and the only one read.</summary>
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Options = new(ReportJsonContext.Default.Options)
    {
        // Keep names from user files readable (report.json is not embedded in HTML: ReportHtml escapes its own data).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly ReportJsonContext Context = new(Options);

    /// <summary>Writes <paramref name="report"/> as indented JSON followed by a newline.</summary>
    public static void Write(CampaignReport report, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(stream);
        JsonSerializer.Serialize(stream, ToDocument(report), Context.CampaignDocument);
        stream.WriteByte((byte)'\n');
    }

    /// <summary>The report as JSON text.</summary>
    public static string ToJson(CampaignReport report)
    {
        using var stream = new MemoryStream();
        Write(report, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads a report written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not JSON, not a report, or of another version.</exception>
    public static CampaignReport Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Read(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Reads a report written by <see cref="Write"/> from <paramref name="stream"/>.</summary>
    /// <exception cref="InvalidDataException">The text is not JSON, not a report, or of another version.</exception>
    public static CampaignReport Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.ToArray());
    }

    /// <summary>The lower-case name of a verdict: <c>resilient</c>, <c>degraded</c>, <c>crashed</c>, <c>corrupted</c>.</summary>
    public static string VerdictName(Verdict verdict) => verdict switch
    {
        Verdict.Resilient => "resilient",
        Verdict.Degraded => "degraded",
        Verdict.Crashed => "crashed",
        Verdict.Corrupted => "corrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    private static CampaignReport Read(byte[] utf8)
    {
        // Check the version before the shape: another version may have another shape.
        int version;
        try
        {
            using var doc = JsonDocument.Parse(utf8);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("version", out var v) || !v.TryGetInt32(out version))
            {
                throw new InvalidDataException("not a Phoebe report: no top-level `version` number");
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not valid JSON: {e.Message}", e);
        }
        if (version != CurrentVersion)
        {
            throw new InvalidDataException($"report version {version} is not supported (this Phoebe reads version {CurrentVersion})");
        }
        try
        {
            var document = JsonSerializer.Deserialize(utf8, Context.CampaignDocument)
                ?? throw new InvalidDataException("not a Phoebe report: null");
            return FromDocument(document);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a Phoebe report: {e.Message}", e);
        }
    }

    // Exact for any time a campaign can take: a double holds 2^53 ticks (28 years) exactly.
    private static TimeSpan FromSeconds(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private static Verdict ParseVerdict(string name) => name switch
    {
        "resilient" => Verdict.Resilient,
        "degraded" => Verdict.Degraded,
        "crashed" => Verdict.Crashed,
        "corrupted" => Verdict.Corrupted,
        _ => throw new InvalidDataException($"unknown verdict \"{name}\" (expected resilient, degraded, crashed or corrupted)"),
    };

    private static DateTime Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Local => t.ToUniversalTime(),
        DateTimeKind.Unspecified => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        _ => t,
    };

    private static CampaignDocument ToDocument(CampaignReport r) => new(
        CurrentVersion,
        r.Scenario,
        r.ScenarioPath,
        r.Target,
        Utc(r.StartedUtc),
        ReportFacts.Seconds(r.Duration),
        r.Seed,
        r.Tolerance,
        VerdictName(r.Worst),
        VerdictName(r.Allow),
        r.Failed,
        r.Interrupted,
        r.Restarts,
        ToDocument(r.SteadyState),
        [.. r.Experiments.Select(ToDocument)],
        [.. r.Skipped.Select(s => new SkippedDocument(s.Name, s.Reason))]);

    private static PhaseDocument ToDocument(PhaseResult p) => new(
        ReportFacts.Seconds(p.Start),
        ReportFacts.Seconds(p.End),
        [.. p.Checks.Select(c => new CheckDocument(
            c.Check,
            c.Runs,
            c.Failures,
            [.. c.Samples.Select(s => new SampleDocument(ReportFacts.Seconds(s.At), s.Ok, s.Value, s.Message, s.DurationMs))],
            c.FailureRatio,
            c.SuccessRatio))]);

    private static ExperimentDocument ToDocument(ExperimentResult e) => new(
        e.Name,
        e.Rules,
        e.Syscall,
        e.Errno,
        e.Rate,
        e.Case,
        e.RandomBaseline,
        VerdictName(e.Verdict),
        e.Why,
        e.Injections,
        e.Calls,
        e.Crashed,
        e.CrashReason,
        e.Corrupted,
        e.Restarted,
        ToDocument(e.Window),
        e.PostInspection is null ? null : ToDocument(e.PostInspection),
        [.. e.InjectionTimeline.Select(s => new InjectionSampleDocument(ReportFacts.Seconds(s.At), s.Injections))]);

    private static CampaignReport FromDocument(CampaignDocument d) => new(
        d.Scenario,
        d.ScenarioPath,
        d.Target,
        Utc(d.StartedUtc),
        FromSeconds(d.DurationSeconds),
        d.Seed,
        d.Tolerance,
        FromDocument(d.SteadyState),
        [.. d.Experiments.Select(FromDocument)],
        [.. d.Skipped.Select(s => new SkippedExperiment(s.Name, s.Reason))],
        d.Restarts,
        d.Interrupted,
        ParseVerdict(d.Allow));

    private static PhaseResult FromDocument(PhaseDocument p) => new(
        FromSeconds(p.StartSeconds),
        FromSeconds(p.EndSeconds),
        [.. p.Checks.Select(c => new CheckSummary(
            c.Check,
            c.Runs,
            c.Failures,
            [.. c.Samples.Select(s => new CheckSample(FromSeconds(s.AtSeconds), s.Ok, s.Value, s.Message, s.DurationMs))]))]);

    private static ExperimentResult FromDocument(ExperimentDocument e) => new(
        e.Name,
        e.Rules,
        e.Syscall,
        e.Errno,
        e.Rate,
        e.Case,
        e.RandomBaseline,
        e.Injections,
        e.Calls,
        FromDocument(e.Window),
        e.PostInspection is null ? null : FromDocument(e.PostInspection),
        [.. e.InjectionTimeline.Select(s => new InjectionSample(FromSeconds(s.AtSeconds), s.Injections))],
        e.Crashed,
        e.CrashReason,
        e.Corrupted,
        e.Restarted,
        ParseVerdict(e.Verdict),
        e.Why);
}

// The JSON shape, field by field (docs/reports.md). Separate from the model so that the model's
// TimeSpans can be seconds with names that say so, and computed values (worst, failed, ratios) are written.

internal sealed record CampaignDocument(
    int Version,
    string Scenario,
    string ScenarioPath,
    string Target,
    DateTime StartedUtc,
    double DurationSeconds,
    [property: JsonNumberHandling(JsonNumberHandling.WriteAsString | JsonNumberHandling.AllowReadingFromString)] ulong Seed,
    double Tolerance,
    string Worst,
    string Allow,
    bool Failed,
    bool Interrupted,
    int Restarts,
    PhaseDocument SteadyState,
    IReadOnlyList<ExperimentDocument> Experiments,
    IReadOnlyList<SkippedDocument> Skipped);

internal sealed record PhaseDocument(double StartSeconds, double EndSeconds, IReadOnlyList<CheckDocument> Checks);

// The ratios are computed from runs and failures: written for readers of the file (before the samples), ignored when read.
internal sealed record CheckDocument(
    string Check,
    int Runs,
    int Failures,
    [property: JsonPropertyOrder(1)] IReadOnlyList<SampleDocument> Samples,
    double FailureRatio = 0,
    double SuccessRatio = 0);

internal sealed record SampleDocument(double AtSeconds, bool Ok, double? Value, string? Message, double DurationMs);

internal sealed record InjectionSampleDocument(double AtSeconds, long Injections);

internal sealed record ExperimentDocument(
    string Name,
    IReadOnlyList<string> Rules,
    string Syscall,
    string Errno,
    double? Rate,
    string? Case,
    bool RandomBaseline,
    string Verdict,
    string Why,
    long Injections,
    long Calls,
    bool Crashed,
    string? CrashReason,
    bool Corrupted,
    bool Restarted,
    PhaseDocument Window,
    PhaseDocument? PostInspection,
    IReadOnlyList<InjectionSampleDocument> InjectionTimeline);

internal sealed record SkippedDocument(string Name, string Reason);

// NaN and infinities (a check may report any double) are written as "NaN", "Infinity", "-Infinity".
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(CampaignDocument))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
