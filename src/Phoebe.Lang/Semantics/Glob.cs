namespace Phoebe.Lang.Semantics;

/// <summary>
/// Shell-style glob matching for <c>path ~ "/etc/*.conf"</c>: <c>*</c> matches any
/// run of characters (including <c>/</c>), <c>?</c> one character, <c>[abc]</c> and
/// <c>[a-z]</c> a set (<c>[!x]</c> negates), <c>\</c> escapes. Linear time.
/// </summary>
public static class Glob
{
    /// <summary>True when <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(string pattern, string text)
    {
        int p = 0, t = 0, starP = -1, starT = -1;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starT = t;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, text[t], out int next))
            {
                p = next;
                t++;
                continue;
            }
            if (starP < 0) return false;
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static bool MatchOne(string pattern, ref int p, char c, out int next)
    {
        char pc = pattern[p];
        if (pc == '?')
        {
            next = p + 1;
            return true;
        }
        if (pc == '\\' && p + 1 < pattern.Length)
        {
            next = p + 2;
            return pattern[p + 1] == c;
        }
        if (pc == '[')
        {
            int i = p + 1;
            bool negate = i < pattern.Length && (pattern[i] == '!' || pattern[i] == '^');
            if (negate) i++;
            bool matched = false;
            int first = i;
            while (i < pattern.Length && (pattern[i] != ']' || i == first))
            {
                if (i + 2 < pattern.Length && pattern[i + 1] == '-' && pattern[i + 2] != ']')
                {
                    if (c >= pattern[i] && c <= pattern[i + 2]) matched = true;
                    i += 3;
                }
                else
                {
                    if (pattern[i] == c) matched = true;
                    i++;
                }
            }
            if (i < pattern.Length)
            {
                next = i + 1;
                return matched != negate;
            }
            // No closing bracket: '[' is literal.
        }
        next = p + 1;
        return pc == c;
    }
}
