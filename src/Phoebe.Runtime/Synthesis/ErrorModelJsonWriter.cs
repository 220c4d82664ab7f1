using System.Text.Json;

namespace Phoebe.Runtime.Synthesis;

/// <summary>
/// Writes error models as a JSON list of
/// <c>{syscall, errno, case, rate, observed: {min, mean, max, var, count}}</c>.
/// </summary>
public static class ErrorModelJsonWriter
{
    /// <summary>Writes <paramref name="models"/> as indented JSON followed by a newline.</summary>
    public static void Write(IReadOnlyList<ErrorModel> models, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(models);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        foreach (var m in models)
        {
            json.WriteStartObject();
            json.WriteString("syscall", m.Syscall);
            json.WriteString("errno", m.Errno);
            json.WriteString("case", CaseName(m.Case));
            json.WriteNumber("rate", m.Rate);
            json.WriteStartObject("observed");
            json.WriteNumber("min", m.Observed.Min);
            json.WriteNumber("mean", m.Observed.Mean);
            json.WriteNumber("max", m.Observed.Max);
            json.WriteNumber("var", m.Observed.Var);
            json.WriteNumber("count", m.Observed.Count);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.Flush();
        stream.WriteByte((byte)'\n');
    }

    /// <summary>The models as JSON text.</summary>
    public static string ToJson(IReadOnlyList<ErrorModel> models)
    {
        using var stream = new MemoryStream();
        Write(models, stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The lower-case name of a case: <c>sporadic</c>, <c>fluctuating</c>, <c>steady</c>.</summary>
    public static string CaseName(ErrorModelCase kind) => kind switch
    {
        ErrorModelCase.Sporadic => "sporadic",
        ErrorModelCase.Fluctuating => "fluctuating",
        _ => "steady",
    };
}
