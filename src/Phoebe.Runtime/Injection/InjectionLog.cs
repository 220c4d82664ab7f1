using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Phoebe.Runtime.Injection;

/// <summary>One injection, as written to the JSON-lines log.</summary>
public sealed record InjectionEvent(
    DateTimeOffset Time,
    int Pid,
    int Tid,
    string Syscall,
    long[] Arguments,
    string? Path,
    string Rule,
    string Action,
    long? OriginalResult);

/// <summary>
/// Writes injection events as JSON lines. Each line is written and flushed to the
/// file before the target is resumed with the faked result, so the log survives
/// a crash of the target.
/// </summary>
public sealed class InjectionLog : IDisposable
{
    private readonly Stream stream;
    private readonly Utf8JsonWriter writer;
    private readonly object gate = new();

    /// <summary>Opens (truncates) <paramref name="path"/>.</summary>
    public InjectionLog(string path)
    {
        stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Writes one event and flushes it to the file.</summary>
    public void Write(InjectionEvent e)
    {
        lock (gate)
        {
            writer.Reset();
            writer.WriteStartObject();
            writer.WriteString("time", e.Time.ToString("O"));
            writer.WriteNumber("pid", e.Pid);
            writer.WriteNumber("tid", e.Tid);
            writer.WriteString("syscall", e.Syscall);
            writer.WriteStartArray("args");
            foreach (long a in e.Arguments) writer.WriteNumberValue(a);
            writer.WriteEndArray();
            if (e.Path is null) writer.WriteNull("path"); else writer.WriteString("path", e.Path);
            writer.WriteString("rule", e.Rule);
            writer.WriteString("action", e.Action);
            if (e.OriginalResult is { } r) writer.WriteNumber("original", r); else writer.WriteNull("original");
            writer.WriteEndObject();
            writer.Flush();
            stream.Write("\n"u8);
            stream.Flush();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        writer.Dispose();
        stream.Dispose();
    }
}
