using System.Text.Encodings.Web;
using System.Text.Json;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;

namespace Phoebe.Cli;

/// <summary>The machine-readable output of <c>phoebe check --format json</c>.</summary>
internal static class JsonReport
{
    public static void Write(TextWriter output, List<(string Path, CompilationResult? Result, string? IoError)> results, bool explain)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("files");
            foreach (var (path, result, io) in results)
            {
                w.WriteStartObject();
                w.WriteString("path", path);
                w.WriteBoolean("ok", io is null && result is { HasErrors: false });
                if (io != null) w.WriteString("ioError", io);
                w.WriteStartArray("diagnostics");
                if (io is null && result != null)
                {
                    foreach (var d in result.Diagnostics) WriteDiagnostic(w, d);
                }
                w.WriteEndArray();
                if (explain && result?.Plan is { } plan) WritePlan(w, plan);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteDiagnostic(Utf8JsonWriter w, Diagnostic d)
    {
        w.WriteStartObject();
        w.WriteString("code", d.Code);
        w.WriteString("severity", d.Severity.ToString().ToLowerInvariant());
        w.WriteString("message", d.Message);
        if (d.Source is { } src) WriteRange(w, src, d.Span);
        w.WriteStartArray("hints");
        foreach (var h in d.Hints) w.WriteStringValue(h);
        w.WriteEndArray();
        w.WriteStartArray("related");
        foreach (var l in d.Labels)
        {
            w.WriteStartObject();
            w.WriteString("message", l.Message);
            WriteRange(w, l.Source, l.Span);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRange(Utf8JsonWriter w, SourceText src, TextSpan span)
    {
        var start = src.GetPosition(span.Start);
        var end = src.GetPosition(span.End);
        w.WriteString("file", src.Path);
        w.WriteNumber("line", start.Line);
        w.WriteNumber("column", start.Column);
        w.WriteNumber("endLine", end.Line);
        w.WriteNumber("endColumn", end.Column);
    }

    private static void WritePlan(Utf8JsonWriter w, InjectionPlan plan)
    {
        w.WriteStartObject("plan");
        w.WriteStartArray("rules");
        foreach (var r in plan.Rules)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteString("location", r.Location.ToString());
            w.WriteStartArray("syscalls");
            foreach (var s in r.Syscalls)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                if (s.X86_64 is { } x) w.WriteNumber("x86_64", x); else w.WriteNull("x86_64");
                if (s.Aarch64 is { } a) w.WriteNumber("aarch64", a); else w.WriteNull("aarch64");
                if (s.FdArgument is { } fd) w.WriteNumber("fdArgument", fd); else w.WriteNull("fdArgument");
                if (s.PathArgument is { } pa) w.WriteNumber("pathArgument", pa); else w.WriteNull("pathArgument");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("functions");
            foreach (var f in r.Functions) w.WriteStringValue($"{f.Function}@{f.Library}");
            w.WriteEndArray();
            w.WriteString("phase", r.Phase == Phase.Exit ? "exit" : "entry");
            if (r.Filter is null) w.WriteNull("perCall"); else w.WriteString("perCall", r.Filter.ToString());
            if (r.Control is null) w.WriteNull("control"); else w.WriteString("control", r.Control.ToString());
            w.WriteStartArray("actions");
            foreach (var a in r.Actions) w.WriteStringValue(a.ToString());
            w.WriteEndArray();
            if (r.Errno is null) w.WriteNull("errno"); else w.WriteString("errno", r.Errno);
            w.WriteStartArray("backends");
            foreach (var b in r.Backends)
            {
                w.WriteStartObject();
                w.WriteString("backend", PlanExplainer.Name(b.Backend));
                w.WriteString("reason", b.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("healthChecks");
        foreach (var h in plan.HealthChecks)
        {
            w.WriteStartObject();
            w.WriteString("name", h.Name);
            w.WriteString("location", h.Location.ToString());
            w.WriteString("bodyLocation", h.BodyLocation.ToString());
            w.WriteNumber("everySeconds", h.Every.TotalSeconds);
            w.WriteNumber("timeoutSeconds", h.Timeout.TotalSeconds);
            w.WriteString("body", h.Body);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
