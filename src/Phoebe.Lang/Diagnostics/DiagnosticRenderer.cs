using System.Text;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Diagnostics;

/// <summary>
/// Renders diagnostics the way compilers do:
/// <c>file:line:col: error PHB1001: message</c>, the source line, a <c>^~~~</c>
/// underline, secondary locations as notes, then <c>hint:</c> lines.
/// </summary>
public static class DiagnosticRenderer
{
    // A 10 MB line is shown as a window around the column.
    private const int MaxShownLine = 160;

    /// <summary>Renders one diagnostic as text ending in a newline.</summary>
    public static string Render(Diagnostic d)
    {
        var sb = new StringBuilder();
        string severity = d.Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "note" };
        if (d.Source is { } src)
        {
            var pos = src.GetPosition(d.Span.Start);
            sb.Append($"{src.Path}:{pos.Line}:{pos.Column}: ");
        }
        sb.Append($"{severity} {d.Code}: {d.Message}\n");
        if (d.Source is { } source) AppendSnippet(sb, source, d.Span);
        foreach (var label in d.Labels)
        {
            var pos = label.Source.GetPosition(label.Span.Start);
            sb.Append($"{label.Source.Path}:{pos.Line}:{pos.Column}: note: {label.Message}\n");
            AppendSnippet(sb, label.Source, label.Span);
        }
        foreach (var hint in d.Hints) sb.Append($"hint: {hint}\n");
        return sb.ToString();
    }

    private static void AppendSnippet(StringBuilder sb, SourceText source, TextSpan span)
    {
        var pos = source.GetPosition(span.Start);
        string line = source.GetLine(pos.Line);
        int col = pos.Column - 1;
        int width = Math.Max(1, Math.Min(span.Length, line.Length - col));
        int from = 0;
        if (line.Length > MaxShownLine)
        {
            from = Math.Max(0, Math.Min(col - MaxShownLine / 2, line.Length - MaxShownLine));
            line = line.Substring(from, MaxShownLine);
            col -= from;
            width = Math.Max(1, Math.Min(width, line.Length - col));
        }
        var shown = new StringBuilder(line.Length + 2);
        var under = new StringBuilder(col + width + 2);
        if (from > 0) { shown.Append("..."); under.Append("   "); }
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            // Control characters would garble the terminal; show them as '?'.
            shown.Append(c == '\t' ? '\t' : char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
            if (i < col) under.Append(c == '\t' ? '\t' : ' ');
        }
        if (col > line.Length) under.Append(' ', col - line.Length);
        under.Append('^');
        if (width > 1) under.Append('~', width - 1);
        sb.Append(shown).Append('\n').Append(under).Append('\n');
    }
}
