using System.Globalization;

namespace Phoebe.Lang.Semantics;

/// <summary>
/// A constant value. <see cref="Int"/> holds ints, durations (nanoseconds), errno
/// and signal numbers; <see cref="Float"/> holds floats and percentages (as fractions);
/// <see cref="Text"/> holds strings and errno/signal names.
/// </summary>
public readonly record struct Value(PhbType Type, long Int = 0, double Float = 0, string? Text = null, bool Bool = false)
{
    /// <summary>An int.</summary>
    public static Value OfInt(long v) => new(PhbType.Int, Int: v);
    /// <summary>A float.</summary>
    public static Value OfFloat(double v) => new(PhbType.Float, Float: v);
    /// <summary>A duration in nanoseconds.</summary>
    public static Value OfDuration(long ns) => new(PhbType.Duration, Int: ns);
    /// <summary>A percentage given as a fraction.</summary>
    public static Value OfPercentage(double fraction) => new(PhbType.Percentage, Float: fraction);
    /// <summary>A bool.</summary>
    public static Value OfBool(bool v) => new(PhbType.Bool, Bool: v);
    /// <summary>A string.</summary>
    public static Value OfString(string v) => new(PhbType.String, Text: v);
    /// <summary>An errno.</summary>
    public static Value OfErrno(string name, int number) => new(PhbType.Errno, Int: number, Text: name);
    /// <summary>A signal.</summary>
    public static Value OfSignal(string name, int number) => new(PhbType.Signal, Int: number, Text: name);

    /// <summary>The value as a double, for numeric types.</summary>
    public double AsDouble => Type switch
    {
        PhbType.Int => Int,
        PhbType.Duration => Int,
        _ => Float,
    };

    /// <summary>The value as written in Phoebe source (used by <c>--explain</c>).</summary>
    public override string ToString() => Type switch
    {
        PhbType.Int => Int.ToString(CultureInfo.InvariantCulture),
        PhbType.Float => Float.ToString("R", CultureInfo.InvariantCulture),
        PhbType.Percentage => (Float * 100).ToString("R", CultureInfo.InvariantCulture) + "%",
        PhbType.Duration => FormatDuration(Int),
        PhbType.Bool => Bool ? "true" : "false",
        PhbType.String => Quote(Text ?? ""),
        PhbType.Errno or PhbType.Signal => Text ?? Int.ToString(CultureInfo.InvariantCulture),
        _ => "<error>",
    };

    /// <summary>Formats nanoseconds with the largest unit that keeps it exact.</summary>
    public static string FormatDuration(long ns)
    {
        (long div, string unit)[] units = [(3_600_000_000_000, "h"), (60_000_000_000, "m"), (1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")];
        foreach (var (div, unit) in units)
        {
            if (ns != 0 && ns % div == 0) return (ns / div).ToString(CultureInfo.InvariantCulture) + unit;
        }
        return ns.ToString(CultureInfo.InvariantCulture) + "ns";
    }

    /// <summary>Quotes a string with Phoebe's escapes.</summary>
    public static string Quote(string s)
    {
        var sb = new System.Text.StringBuilder("\"");
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }
}
