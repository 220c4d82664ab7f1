using System.Globalization;
using System.Text;

namespace Phoebe.Lang.Syntax;

/// <summary>Decodes literal tokens into values. Failures are returned, not thrown.</summary>
public static class LiteralDecoder
{
    /// <summary>
    /// Decodes a string literal including its quotes. Raw strings (<c>'...'</c>) take
    /// their content as is. <paramref name="badEscape"/> is the offset (within the
    /// literal text) of the first invalid escape, or -1.
    /// </summary>
    public static string DecodeString(string text, bool isRaw, out int badEscape)
    {
        badEscape = -1;
        if (text.Length < 2) return "";
        bool closed = text.Length >= 2 && text[^1] == text[0];
        string inner = closed ? text[1..^1] : text[1..];
        if (isRaw || inner.IndexOf('\\') < 0) return inner;
        var sb = new StringBuilder(inner.Length);
        for (int i = 0; i < inner.Length; i++)
        {
            char c = inner[i];
            if (c != '\\' || i + 1 >= inner.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = inner[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '"': sb.Append('"'); break;
                case '\'': sb.Append('\''); break;
                case 'x' when IsHex(inner, i + 1, 2):
                    sb.Append((char)int.Parse(inner.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                default:
                    // Keep regex escapes like \d usable in "..." strings would hide typos;
                    // raw '...' strings are the way to write them.
                    if (badEscape < 0) badEscape = i; // offset of the escaped char within inner; +1 for the quote, -1 for '\'
                    sb.Append('\\').Append(e);
                    break;
            }
        }
        return sb.ToString();
    }

    private static bool IsHex(string s, int start, int count)
    {
        if (start + count > s.Length) return false;
        for (int i = start; i < start + count; i++)
        {
            if (!Uri.IsHexDigit(s[i])) return false;
        }
        return true;
    }

    /// <summary>Parses a decimal or hexadecimal integer literal; false when it does not fit in 64 bits.</summary>
    public static bool TryParseInteger(string text, bool hex, out long value)
    {
        string digits = text.Replace("_", "");
        if (hex)
        {
            // Up to 64 bits, so that 0xFFFFFFFFFFFFFFFF (a full register) is accepted.
            if (ulong.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong u))
            {
                value = unchecked((long)u);
                return true;
            }
            value = 0;
            return false;
        }
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses a floating-point literal.</summary>
    public static bool TryParseFloat(string text, out double value)
        => double.TryParse(text.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>Parses a duration literal (<c>10ms</c>) into nanoseconds; false on overflow.</summary>
    public static bool TryParseDuration(string text, out long nanoseconds)
    {
        int unitStart = text.Length;
        while (unitStart > 0 && !char.IsAsciiDigit(text[unitStart - 1])) unitStart--;
        string unit = text[unitStart..];
        double scale = unit switch
        {
            "ns" => 1,
            "us" or "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => double.NaN,
        };
        nanoseconds = 0;
        if (double.IsNaN(scale) || !TryParseFloat(text[..unitStart], out double number)) return false;
        double ns = Math.Round(number * scale);
        if (ns > long.MaxValue / 2) return false;
        nanoseconds = (long)ns;
        return true;
    }

    /// <summary>Parses a percentage literal (<c>5%</c>) into a fraction (0.05).</summary>
    public static bool TryParsePercentage(string text, out double fraction)
    {
        bool ok = TryParseFloat(text[..^1], out double percent);
        fraction = percent / 100.0;
        return ok;
    }
}
