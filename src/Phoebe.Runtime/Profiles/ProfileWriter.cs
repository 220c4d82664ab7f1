using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Phoebe.Runtime.Profiles;

/// <summary>
/// Writes a <see cref="Profile"/> as YAML that <see cref="ProfileReader"/> reads back to the
/// same values: numbers in their shortest round-trip form, the interval in its largest exact
/// unit, rate summaries and series in flow style so that one error stays a few lines.
/// An error given only by its series is written with its computed <c>rate</c> too.
/// </summary>
public static partial class ProfileWriter
{
    /// <summary>Writes <paramref name="profile"/> to <paramref name="writer"/>.</summary>
    public static void Write(Profile profile, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write($"version: {profile.Version}\n");
        writer.Write($"target: {Text(profile.Target)}\n");
        writer.Write($"interval: {Duration(profile.Interval)}\n");
        writer.Write($"intervals: {Integer(profile.Intervals)}\n");
        if (profile.Syscalls.Count == 0) writer.Write("syscalls: []\n");
        else
        {
            writer.Write("syscalls:\n");
            foreach (var s in profile.Syscalls)
            {
                writer.Write($"  - name: {s.Name}\n");
                writer.Write($"    calls: {Integer(s.Calls)}\n");
            }
        }
        if (profile.Errors.Count == 0) writer.Write("errors: []\n");
        else
        {
            writer.Write("errors:\n");
            foreach (var e in profile.Errors)
            {
                var rate = e.Rate ?? RateStatistics.Summarize(e.Series!);
                writer.Write($"  - syscall: {e.Syscall}\n");
                writer.Write($"    errno: {e.Errno}\n");
                writer.Write($"    count: {Integer(e.Count)}\n");
                writer.Write($"    rate: {{ min: {Number(rate.Min)}, mean: {Number(rate.Mean)}, max: {Number(rate.Max)}, var: {Number(rate.Var)} }}\n");
                if (e.Series is { } series) writer.Write($"    series: [{string.Join(", ", series.Select(Number))}]\n");
            }
        }
    }

    /// <summary>The profile as YAML text.</summary>
    public static string ToYaml(Profile profile)
    {
        var writer = new StringWriter();
        Write(profile, writer);
        return writer.ToString();
    }

    /// <summary>A number as the reader reads it back exactly: shortest round-trip form, e.g. <c>0.05</c>, <c>1E-06</c>.</summary>
    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Integer(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The largest unit that represents the interval exactly: <c>15s</c>, <c>1500ms</c>, <c>2m</c>.</summary>
    internal static string Duration(TimeSpan interval)
    {
        long ticks = interval.Ticks;
        foreach (var (unit, per) in new (string, long)[]
        {
            ("h", TimeSpan.TicksPerHour), ("m", TimeSpan.TicksPerMinute), ("s", TimeSpan.TicksPerSecond),
            ("ms", TimeSpan.TicksPerMillisecond), ("us", TimeSpan.TicksPerMicrosecond),
        })
        {
            if (ticks % per == 0) return $"{ticks / per}{unit}";
        }
        return $"{ticks * 100}ns";
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_./+-]*$")]
    private static partial Regex PlainText();

    private static readonly JsonWriterOptions QuotedText = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Plain when YAML reads it back as the same text (not a number, bool or null); otherwise
    // double-quoted, and JSON's escapes are YAML's.
    private static string Text(string text)
    {
        bool plain = PlainText().IsMatch(text)
            && !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && text.ToLowerInvariant() is not ("true" or "false" or "yes" or "no" or "on" or "off" or "null" or "y" or "n");
        if (plain) return text;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, QuotedText)) writer.WriteStringValue(text);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
