using System.Text;
using Antlr4.Runtime;
using Phoebe.Lang.Syntax;
using Phoebe.Lang.Syntax.Generated;

namespace Phoebe.Lang.Formatting;

/// <summary>
/// The canonical layout of a <c>.phb</c> file. Rules are laid out Byteman style,
/// one clause per line and always closed by ENDRULE; operators keep their
/// spelling (<c>&amp;&amp;</c> or <c>and</c>), literals their text, parentheses
/// stay. Every comment is kept: a comment that ends a line stays at the end of
/// the clause it followed, a comment on its own line stays before the clause or
/// item it preceded. Formatting a formatted file changes nothing.
/// </summary>
public static class Formatter
{
    /// <summary>Formats a file that parsed without errors.</summary>
    public static string Format(PhbFile file)
    {
        var writer = new LayoutWriter(file);
        return writer.Write();
    }

    private sealed class Line
    {
        public required int FirstToken { get; init; }
        public required string Text { get; init; }
        public List<(string Text, bool BlankBefore)> Leading { get; } = new();
        public List<string> Trailing { get; } = new();
    }

    private sealed class LayoutWriter(PhbFile file)
    {
        private readonly string text = file.Source.Text;

        public string Write()
        {
            var codeStarts = new List<int>();
            var codeEnds = new List<int>();
            var lexer = new PhoebeLexer(text);
            lexer.RemoveErrorListeners();
            foreach (var t in lexer.GetAllTokens())
            {
                if (t.Channel != TokenConstants.DefaultChannel) continue;
                codeStarts.Add(t.StartIndex);
                codeEnds.Add(t.StopIndex + 1);
            }

            // Every item becomes one or more lines; each line starts at a code token.
            var items = new List<List<Line>>();
            foreach (var item in file.Items) items.Add(Layout(item, codeStarts));

            var lineStarts = items.SelectMany(ls => ls).Select(l => l.FirstToken).ToArray();
            var allLines = items.SelectMany(ls => ls).ToArray();
            var fileTrailing = new List<(string Text, bool BlankBefore)>();
            var itemLeadingBlank = new Dictionary<Line, bool>();

            foreach (var comment in file.Comments)
            {
                int start = comment.Span.Start;
                int prev = LastBefore(codeEnds, start);
                bool sameLine = prev >= 0 && !HasNewline(codeEnds[prev], start);
                string body = comment.Text.TrimEnd();
                if (sameLine)
                {
                    int owner = LastAtOrBefore(lineStarts, codeStarts[prev]);
                    if (owner >= 0)
                    {
                        allLines[owner].Trailing.Add(body);
                        continue;
                    }
                }
                int next = FirstAtOrAfter(codeStarts, comment.Span.End);
                bool blank = BlankLineBefore(start);
                if (next < 0)
                {
                    fileTrailing.Add((body, blank));
                    continue;
                }
                int target = LastAtOrBefore(lineStarts, codeStarts[next]);
                if (target < 0) target = 0;
                var line = allLines[target];
                if (line.Leading.Count == 0 && blank) itemLeadingBlank[line] = true;
                line.Leading.Add((body, blank && line.Leading.Count > 0));
            }

            var sb = new StringBuilder();
            ItemNode? previous = null;
            for (int i = 0; i < items.Count; i++)
            {
                var item = file.Items[i];
                var first = items[i][0];
                bool separate = previous != null && !(previous is ImportDecl && item is ImportDecl);
                bool wantBlank = separate || (sb.Length > 0 && itemLeadingBlank.GetValueOrDefault(first));
                if (wantBlank) sb.Append('\n');
                foreach (var line in items[i]) Emit(sb, line);
                previous = item;
            }
            foreach (var (body, blank) in fileTrailing)
            {
                if (blank && sb.Length > 0) sb.Append('\n');
                sb.Append(body).Append('\n');
            }
            return sb.ToString();
        }

        private static void Emit(StringBuilder sb, Line line)
        {
            foreach (var (c, blank) in line.Leading)
            {
                if (blank) sb.Append('\n');
                sb.Append(c).Append('\n');
            }
            // One comment can end a line; further ones go above it.
            for (int i = 0; i < line.Trailing.Count - 1; i++) sb.Append(line.Trailing[i]).Append('\n');
            sb.Append(line.Text);
            if (line.Trailing.Count > 0) sb.Append(' ').Append(line.Trailing[^1]);
            sb.Append('\n');
        }

        private List<Line> Layout(ItemNode item, List<int> codeStarts)
        {
            switch (item)
            {
                case ImportDecl imp:
                    return [new Line { FirstToken = imp.Span.Start, Text = "import " + text.Substring(imp.PathSpan.Start, imp.PathSpan.Length) }];
                case HealthDecl h:
                {
                    var sb = new StringBuilder("HEALTH ").Append(h.Name.Text);
                    foreach (var o in h.Options)
                    {
                        sb.Append(o.Kind == HealthOptionKind.Every ? " EVERY " : " TIMEOUT ").Append(ExprPrinter.Print(o.Value));
                    }
                    sb.Append(" {").Append(h.Body).Append('}');
                    return [new Line { FirstToken = h.Span.Start, Text = sb.ToString() }];
                }
                case RuleDecl r:
                {
                    var lines = new List<Line> { new() { FirstToken = r.Span.Start, Text = "RULE " + r.Name.Text } };
                    int on = NextToken(codeStarts, r.Name.Span.End);
                    string targets = string.Join(", ", r.Targets.Select(PrintTarget));
                    string phase = r.PhaseSpan is null ? "" : r.Phase == Phase.Exit ? " EXIT" : " ENTRY";
                    lines.Add(new Line { FirstToken = on, Text = "ON " + targets + phase });
                    int afterOn = r.PhaseSpan?.End ?? r.Targets[^1].Span.End;
                    if (r.Condition is { } cond)
                    {
                        lines.Add(new Line { FirstToken = NextToken(codeStarts, afterOn), Text = "IF " + ExprPrinter.Print(cond) });
                        afterOn = cond.Span.End;
                    }
                    lines.Add(new Line
                    {
                        FirstToken = NextToken(codeStarts, afterOn),
                        Text = "DO " + string.Join("; ", r.Actions.Select(PrintAction)),
                    });
                    int endrule = r.HasEndRule ? NextToken(codeStarts, r.Actions[^1].Span.End, semicolonsToo: true) : r.Span.End;
                    lines.Add(new Line { FirstToken = endrule, Text = "ENDRULE" });
                    return lines;
                }
                default:
                    throw new InvalidOperationException($"cannot format {item.GetType().Name}");
            }
        }

        private int NextToken(List<int> codeStarts, int offset, bool semicolonsToo = false)
        {
            int i = FirstAtOrAfter(codeStarts, offset);
            while (semicolonsToo && i >= 0 && i < codeStarts.Count && text[codeStarts[i]] == ';') i++;
            return i >= 0 && i < codeStarts.Count ? codeStarts[i] : offset;
        }

        private string PrintTarget(TargetNode t) => t switch
        {
            SyscallTarget s => s.Name.Text,
            ClassTarget c => "%" + c.Name.Text,
            FunctionTarget f => f.Function.Text + "@" + f.Library.Text,
            _ => "",
        };

        private static string PrintAction(ActionNode a) => a switch
        {
            ReturnAction r => "return " + ExprPrinter.Print(r.Value),
            DelayAction d => "delay " + ExprPrinter.Print(d.Duration),
            SignalAction s => "signal " + s.Signal.Text,
            LogAction l => "log " + l.Message.Text,
            _ => "",
        };

        private bool HasNewline(int from, int to) => text.AsSpan(from, to - from).IndexOfAny('\n', '\r') >= 0;

        /// <summary>True when the text before <paramref name="offset"/> has an empty line before the previous code or comment.</summary>
        private bool BlankLineBefore(int offset)
        {
            int newlines = 0;
            for (int i = offset - 1; i >= 0; i--)
            {
                char c = text[i];
                if (c == '\n') newlines++;
                else if (c != ' ' && c != '\t' && c != '\r' && c != '\f') break;
            }
            return newlines >= 2;
        }

        private static int LastBefore(List<int> sorted, int value)
        {
            // The last index whose value is <= value, or -1.
            int i = sorted.BinarySearch(value);
            if (i < 0) return ~i - 1;
            while (i + 1 < sorted.Count && sorted[i + 1] == value) i++;
            return i;
        }

        private static int LastAtOrBefore(int[] sorted, int value)
        {
            int i = Array.BinarySearch(sorted, value);
            return i >= 0 ? i : ~i - 1;
        }

        private static int FirstAtOrAfter(List<int> sorted, int value)
        {
            int i = sorted.BinarySearch(value);
            if (i < 0) i = ~i;
            return i < sorted.Count ? i : -1;
        }
    }
}
