using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Phoebe.Bench;

/// <summary>
/// Writes the same generated rules as compact JSON carrying the same information:
/// conditions as expression trees (<c>{"op":"&amp;&amp;","l":…,"r":…}</c>), numbers as JSON
/// numbers, durations and percentages as tagged values. It is the reference that
/// "parse and check" is compared with: a JSON parser does the least work any
/// structured rule format could do.
/// </summary>
internal static class JsonRuleWriter
{
    public static string Write(IReadOnlyList<GenRule> rules)
    {
        using var stream = new MemoryStream(rules.Count * 200);
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("rules");
            foreach (var rule in rules) Rule(w, rule);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static void Rule(Utf8JsonWriter w, GenRule rule)
    {
        w.WriteStartObject();
        if (rule.Comment != null) w.WriteString("comment", rule.Comment);
        w.WriteString("name", rule.Name);
        w.WriteStartArray("on");
        foreach (var t in rule.Targets) w.WriteStringValue(t);
        w.WriteEndArray();
        if (rule.Phase != null) w.WriteString("phase", rule.Phase);
        if (rule.Condition != null)
        {
            w.WritePropertyName("if");
            Expr(w, rule.Condition);
        }
        w.WriteStartArray("do");
        foreach (var action in rule.Actions)
        {
            w.WriteStartObject();
            switch (action)
            {
                case GenReturn { IsErrno: true } r: w.WriteString("return", r.Value); break;
                case GenReturn r: w.WriteNumber("return", long.Parse(r.Value, CultureInfo.InvariantCulture)); break;
                case GenDelay d: w.WriteString("delay", d.Duration); break;
                case GenLog l: w.WriteString("log", l.Message); break;
                case GenSignal s: w.WriteString("signal", s.Name); break;
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Expr(Utf8JsonWriter w, GenExpr e)
    {
        switch (e)
        {
            case GenParen p:
                Expr(w, p.Inner);
                break;
            case GenBinary b:
                w.WriteStartObject();
                w.WriteString("op", b.Op);
                w.WritePropertyName("l");
                Expr(w, b.Left);
                w.WritePropertyName("r");
                Expr(w, b.Right);
                w.WriteEndObject();
                break;
            case GenUnary u:
                w.WriteStartObject();
                w.WriteString("op", u.Op);
                w.WritePropertyName("x");
                Expr(w, u.Operand);
                w.WriteEndObject();
                break;
            case GenName n:
                w.WriteStartObject();
                w.WriteString("var", n.Text);
                w.WriteEndObject();
                break;
            case GenCall c:
                w.WriteStartObject();
                w.WriteString("call", c.Function);
                w.WriteStartArray("args");
                Expr(w, c.Argument);
                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case GenLiteral l:
                Literal(w, l);
                break;
        }
    }

    private static void Literal(Utf8JsonWriter w, GenLiteral l)
    {
        string digits = l.Text.Replace("_", "", StringComparison.Ordinal);
        switch (l.Kind)
        {
            case LitKind.Int:
                w.WriteNumberValue(long.Parse(digits, CultureInfo.InvariantCulture));
                break;
            case LitKind.Hex:
                w.WriteNumberValue(long.Parse(digits.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                break;
            case LitKind.Float:
                w.WriteNumberValue(double.Parse(digits, CultureInfo.InvariantCulture));
                break;
            case LitKind.Percentage:
                w.WriteStartObject();
                w.WriteNumber("pct", double.Parse(digits.TrimEnd('%'), CultureInfo.InvariantCulture));
                w.WriteEndObject();
                break;
            case LitKind.Duration:
                w.WriteStartObject();
                w.WriteString("dur", l.Text);
                w.WriteEndObject();
                break;
            default:
                w.WriteStringValue(l.Text);
                break;
        }
    }
}
