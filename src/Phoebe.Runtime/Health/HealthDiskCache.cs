using System.Collections.Immutable;
using System.Text.Json;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Health;

/// <summary>
/// Compiled HEALTH bodies on disk, one entry per cache key (a hash of the body,
/// Roslyn's version, Phoebe.Runtime's build and the imports): <c>KEY.json</c> holds
/// the diagnostics and the entry point, <c>KEY.dll</c> the assembly when the body
/// compiled. Entries are written to a temporary name and renamed, so readers see
/// whole entries or none; any problem reading or writing just means a miss.
/// </summary>
internal sealed class HealthDiskCache(string directory)
{
    private const int FormatVersion = 1;

    public string Directory { get; } = directory;

    /// <summary>The entry for <paramref name="key"/>, or null when there is none (or it cannot be read).</summary>
    public Entry? TryRead(string key)
    {
        try
        {
            string json = Path.Combine(Directory, key + ".json");
            if (!File.Exists(json)) return null;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
            var root = doc.RootElement;
            if (root.GetProperty("version").GetInt32() != FormatVersion) return null;
            var diagnostics = root.GetProperty("diagnostics").EnumerateArray().Select(d => new BodyDiagnostic(
                d.GetProperty("error").GetBoolean(),
                d.GetProperty("message").GetString() ?? "",
                new TextSpan(d.GetProperty("start").GetInt32(), d.GetProperty("length").GetInt32()),
                d.GetProperty("hints").EnumerateArray().Select(h => h.GetString() ?? "").ToImmutableArray())).ToImmutableArray();
            if (diagnostics.Any(d => d.IsError)) return new Entry(diagnostics, null, "", "");
            string dll = Path.Combine(Directory, key + ".dll");
            if (!File.Exists(dll)) return null;
            return new Entry(diagnostics, dll, root.GetProperty("type").GetString() ?? "", root.GetProperty("method").GetString() ?? "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Stores an entry; failures (read-only home, full disk) are ignored.</summary>
    public void TryWrite(string key, ImmutableArray<BodyDiagnostic> diagnostics, HealthAssembly? assembly)
    {
        try
        {
            // Assemblies from here are loaded and run: keep the directory private.
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (assembly is not null) WriteAtomically(Path.Combine(Directory, key + ".dll"), assembly.Image);
            using var json = new MemoryStream();
            using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteNumber("version", FormatVersion);
                w.WriteString("type", assembly?.TypeName ?? "");
                w.WriteString("method", assembly?.MethodName ?? "");
                w.WriteStartArray("diagnostics");
                foreach (var d in diagnostics)
                {
                    w.WriteStartObject();
                    w.WriteBoolean("error", d.IsError);
                    w.WriteString("message", d.Message);
                    w.WriteNumber("start", d.Span.Start);
                    w.WriteNumber("length", d.Span.Length);
                    w.WriteStartArray("hints");
                    foreach (var h in d.Hints) w.WriteStringValue(h);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            // The .json last: it is what makes the entry visible.
            WriteAtomically(Path.Combine(Directory, key + ".json"), json.ToArray());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>A cached body: its diagnostics and, when it compiled, its assembly on disk.</summary>
    public sealed record Entry(ImmutableArray<BodyDiagnostic> Diagnostics, string? DllPath, string TypeName, string MethodName)
    {
        /// <summary>Loads the assembly and binds its entry point.</summary>
        public Func<HealthContext, Task<HealthResult?>> Load() =>
            new HealthAssembly(File.ReadAllBytes(DllPath ?? throw new InvalidOperationException("a body with errors cannot run")), TypeName, MethodName).Load();
    }
}
