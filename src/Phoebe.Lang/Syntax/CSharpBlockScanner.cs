using System.Buffers;
using System.Globalization;

namespace Phoebe.Lang.Syntax;

/// <summary>
/// Result of scanning an embedded C# block with <see cref="CSharpBlockScanner.Scan"/>.
/// </summary>
/// <param name="End">
/// The index just past the closing <c>}</c> when <paramref name="Terminated"/>, otherwise the text length.
/// </param>
/// <param name="Terminated">Whether the block's closing <c>}</c> was found.</param>
/// <param name="OpenAt">
/// When not terminated, the index of the innermost construct left open: the unclosed <c>{</c>, or the
/// start of the unterminated string, character literal or comment. -1 when terminated.
/// </param>
/// <param name="OpenWhat">
/// When not terminated, that construct in user words: "block", "string literal", "verbatim string literal",
/// "raw string literal", "interpolated string", "character literal", "comment" or "interpolation".
/// Null when terminated.
/// </param>
internal readonly record struct CSharpScanResult(int End, bool Terminated, int OpenAt, string? OpenWhat);

/// <summary>
/// Finds the <c>}</c> that closes an embedded C# block (a <c>HEALTH name { ... }</c> body) without being
/// fooled by braces or quotes inside C# literals, comments and interpolations.
/// </summary>
/// <remarks>
/// This is a lexer, not a parser: it only tracks what can hide a brace. It follows Roslyn's lexing of C# 11+
/// (raw and interpolated raw strings, newlines in interpolation holes), including its recovery where that
/// decides balance: a newline ends an unterminated regular string, character literal, regular interpolated
/// string or single-line raw string, and scanning goes on, since the C# compiler reports those later. Only the
/// end of the text inside a construct makes the block unterminated. Nesting lives in an explicit stack and every
/// character is looked at a bounded number of times, so deep nesting cannot overflow the call stack and the
/// time is linear in the text scanned.
/// </remarks>
internal static class CSharpBlockScanner
{
    private const string NewLines = "\r\n\u0085\u2028\u2029";

    // What each state has to stop at; everything else is skipped with a vectorized search.
    private static readonly SearchValues<char> BlockStops = SearchValues.Create("{}/'\"@$");
    private static readonly SearchValues<char> HoleStops = SearchValues.Create("{}/'\"@$()[]:");
    private static readonly SearchValues<char> LineEnds = SearchValues.Create(NewLines);
    private static readonly SearchValues<char> StringStops = SearchValues.Create("\"\\" + NewLines);
    private static readonly SearchValues<char> CharStops = SearchValues.Create("'\\" + NewLines);
    private static readonly SearchValues<char> SingleLineRawStops = SearchValues.Create("\"" + NewLines);
    private static readonly SearchValues<char> RegularContentStops = SearchValues.Create("\"\\{}" + NewLines);
    private static readonly SearchValues<char> VerbatimContentStops = SearchValues.Create("\"{}");
    private static readonly SearchValues<char> SingleLineRawContentStops = SearchValues.Create("\"{}" + NewLines);
    private static readonly SearchValues<char> RegularFormatStops = SearchValues.Create("}\"\\");
    private static readonly SearchValues<char> FormatStops = SearchValues.Create("}\"");

    /// <summary>Scans from the <c>{</c> at <paramref name="start"/> to its matching <c>}</c>.</summary>
    /// <param name="text">The whole source text.</param>
    /// <param name="start">The index of the block's opening <c>{</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="start"/> is not the index of a <c>{</c>.</exception>
    public static CSharpScanResult Scan(string text, int start)
    {
        ArgumentNullException.ThrowIfNull(text);
        if ((uint)start >= (uint)text.Length || text[start] != '{')
        {
            throw new ArgumentException("The scan must start at a '{'.", nameof(start));
        }

        return new Scanner(text).Run(start);
    }

    private enum FrameKind : byte
    {
        /// <summary>A <c>{</c> in code.</summary>
        Block,

        /// <summary>The text part of an interpolated string.</summary>
        InterpolatedString,

        /// <summary>An interpolation hole; the interpolated string it belongs to is the frame below.</summary>
        Hole,
    }

    private enum StringKind : byte
    {
        Regular,
        Verbatim,
        SingleLineRaw,
        MultiLineRaw,
    }

    private struct Frame
    {
        public FrameKind Kind;
        public int Start;

        // Interpolated strings only.
        public StringKind StringKind;
        public int Dollars;
        public int Quotes;

        // Holes only: open '(' and '[' (a ':' only starts the format clause outside them), and whether the
        // format clause has started.
        public int Nesting;
        public bool InFormat;
    }

    private sealed class Scanner(string text)
    {
        private readonly string _text = text;
        private Frame[] _frames = new Frame[16];
        private int _count;
        private int _pos;

        // Set when the text ends inside a literal or comment, which have no frame of their own.
        private int _openAt = -1;
        private string? _openWhat;

        public CSharpScanResult Run(int start)
        {
            Push(new Frame { Kind = FrameKind.Block, Start = start });
            _pos = start + 1;
            while (_count > 0)
            {
                ref Frame top = ref _frames[_count - 1];
                bool more = top.Kind switch
                {
                    FrameKind.InterpolatedString => StepContent(),
                    FrameKind.Hole when top.InFormat => StepFormat(),
                    _ => StepCode(),
                };
                if (!more)
                {
                    return Unterminated();
                }
            }

            return new CSharpScanResult(_pos, Terminated: true, OpenAt: -1, OpenWhat: null);
        }

        private CSharpScanResult Unterminated()
        {
            if (_openWhat is null)
            {
                Frame top = _frames[_count - 1];
                _openAt = top.Start;
                _openWhat = top.Kind switch
                {
                    FrameKind.Block => "block",
                    FrameKind.Hole => "interpolation",
                    _ => "interpolated string",
                };
            }

            return new CSharpScanResult(_text.Length, Terminated: false, _openAt, _openWhat);
        }

        private bool Fail(int at, string what)
        {
            _openAt = at;
            _openWhat = what;
            _pos = _text.Length;
            return false;
        }

        /// <summary>One step in code: a block body or an interpolation hole. False at the end of the text.</summary>
        private bool StepCode()
        {
            ref Frame top = ref _frames[_count - 1];
            bool inHole = top.Kind == FrameKind.Hole;
            int i = IndexOfAny(_pos, inHole ? HoleStops : BlockStops);
            if (i < 0)
            {
                _pos = _text.Length;
                return false;
            }

            _pos = i + 1;
            switch (_text[i])
            {
                case '{':
                    Push(new Frame { Kind = FrameKind.Block, Start = i });
                    return true;
                case '}':
                    if (inHole)
                    {
                        CloseHole(i);
                    }
                    else
                    {
                        _count--;
                    }

                    return true;
                case '(' or '[':
                    top.Nesting++;
                    return true;
                case ')' or ']':
                    if (top.Nesting > 0)
                    {
                        top.Nesting--;
                    }

                    return true;
                case ':':
                    // Roslyn's rule: the first ':' not nested in (), [] or {} starts the format clause, so
                    // `{c ? 1 : 2}` is an error in C#, but still lexes as hole `c ? 1 ` with format ` 2`.
                    top.InFormat = top.Nesting == 0;
                    return true;
                case '/':
                    return SkipComment(i);
                case '\'':
                    return SkipQuoted(i, CharStops, "character literal");
                case '"':
                    return At(i + 1) == '"' && At(i + 2) == '"'
                        ? SkipRawString(i)
                        : SkipQuoted(i, StringStops, "string literal");
                case '@':
                    if (At(i + 1) == '"')
                    {
                        return SkipVerbatimString(i);
                    }

                    if (At(i + 1) == '$' && At(i + 2) == '"')
                    {
                        PushString(i, StringKind.Verbatim, dollars: 1, quotes: 1);
                        _pos = i + 3;
                    }

                    return true;
                default:
                    OpenInterpolatedString(i);
                    return true;
            }
        }

        private bool SkipComment(int i)
        {
            char next = At(i + 1);
            if (next == '/')
            {
                int end = IndexOfAny(i + 2, LineEnds);
                _pos = end < 0 ? _text.Length : end;
            }
            else if (next == '*')
            {
                int end = _text.AsSpan(i + 2).IndexOf("*/");
                if (end < 0)
                {
                    return Fail(i, "comment");
                }

                _pos = i + 2 + end + 2;
            }

            return true;
        }

        /// <summary>A regular string or character literal, with backslash escapes, starting at <paramref name="start"/>.</summary>
        private bool SkipQuoted(int start, SearchValues<char> stops, string what)
        {
            char quote = _text[start];
            int i = start + 1;
            while (true)
            {
                i = IndexOfAny(i, stops);
                if (i < 0)
                {
                    return Fail(start, what);
                }

                char c = _text[i];
                if (c == '\\')
                {
                    if (!SkipEscape(ref i))
                    {
                        return Fail(start, what);
                    }

                    continue;
                }

                // A newline ends the bad literal; the C# compiler will report it.
                _pos = c == quote ? i + 1 : i;
                return true;
            }
        }

        /// <summary>
        /// Steps over the backslash at <paramref name="i"/> and the character it escapes, unless that is a
        /// newline, which still ends the literal. False when the text ends after the backslash.
        /// </summary>
        private bool SkipEscape(ref int i)
        {
            if (i + 1 >= _text.Length)
            {
                return false;
            }

            i += IsNewLine(_text[i + 1]) ? 1 : 2;
            return true;
        }

        private bool SkipVerbatimString(int start)
        {
            int i = start + 2;
            while (true)
            {
                int quote = _text.IndexOf('"', i);
                if (quote < 0)
                {
                    return Fail(start, "verbatim string literal");
                }

                if (At(quote + 1) != '"')
                {
                    _pos = quote + 1;
                    return true;
                }

                i = quote + 2;
            }
        }

        private bool SkipRawString(int start)
        {
            int quotes = RunLength(start, '"');
            bool singleLine = IsSingleLineRaw(start + quotes);
            int i = start + quotes;
            while (true)
            {
                i = singleLine ? IndexOfAny(i, SingleLineRawStops) : _text.IndexOf('"', i);
                if (i < 0)
                {
                    return Fail(start, "raw string literal");
                }

                if (_text[i] != '"')
                {
                    // A newline ends a bad single-line raw string, as it does a regular one.
                    _pos = i;
                    return true;
                }

                // Fewer quotes are content; as many or more close the literal (any excess is an error the
                // compiler reports, and belongs to this literal).
                int run = RunLength(i, '"');
                i += run;
                if (run >= quotes)
                {
                    _pos = i;
                    return true;
                }
            }
        }

        /// <summary>At the <c>$</c> at <paramref name="start"/>: opens an interpolated string if one starts here.</summary>
        private void OpenInterpolatedString(int start)
        {
            int dollars = RunLength(start, '$');
            int i = start + dollars;
            if (dollars == 1 && At(i) == '@' && At(i + 1) == '"')
            {
                PushString(start, StringKind.Verbatim, dollars: 1, quotes: 1);
                _pos = i + 2;
                return;
            }

            if (At(i) != '"')
            {
                _pos = i;
                return;
            }

            int quotes = RunLength(i, '"');
            if (dollars == 1 && quotes < 3)
            {
                // $"..." (and $"" is an empty one: only the first quote opens it).
                PushString(start, StringKind.Regular, dollars: 1, quotes: 1);
                _pos = i + 1;
                return;
            }

            // Raw. Roslyn also lexes $$"..." with fewer than three quotes as raw (and reports it), so do the same.
            StringKind kind = IsSingleLineRaw(i + quotes) ? StringKind.SingleLineRaw : StringKind.MultiLineRaw;
            PushString(start, kind, dollars, quotes);
            _pos = i + quotes;
        }

        /// <summary>One step in the text part of an interpolated string. False at the end of the text.</summary>
        private bool StepContent()
        {
            ref Frame str = ref _frames[_count - 1];
            SearchValues<char> stops = str.StringKind switch
            {
                StringKind.Regular => RegularContentStops,
                StringKind.SingleLineRaw => SingleLineRawContentStops,
                _ => VerbatimContentStops,
            };
            int i = IndexOfAny(_pos, stops);
            if (i < 0)
            {
                _pos = _text.Length;
                return false;
            }

            bool raw = str.StringKind is StringKind.SingleLineRaw or StringKind.MultiLineRaw;
            char c = _text[i];
            switch (c)
            {
                case '\\':
                    // Regular only. Like Roslyn, `\{` is a (bad) escape, not the start of a hole.
                    if (!SkipEscape(ref i))
                    {
                        _pos = _text.Length;
                        return false;
                    }

                    _pos = i;
                    return true;
                case '"':
                    if (raw)
                    {
                        int run = RunLength(i, '"');
                        _pos = i + run;
                        if (run >= str.Quotes)
                        {
                            _count--;
                        }
                    }
                    else if (str.StringKind == StringKind.Verbatim && At(i + 1) == '"')
                    {
                        _pos = i + 2;
                    }
                    else
                    {
                        _pos = i + 1;
                        _count--;
                    }

                    return true;
                case '{':
                    if (raw)
                    {
                        // Fewer braces than dollars are content; otherwise the last `dollars` of them open a hole.
                        int run = RunLength(i, '{');
                        _pos = i + run;
                        if (run >= str.Dollars)
                        {
                            Push(new Frame { Kind = FrameKind.Hole, Start = i + run - str.Dollars });
                        }
                    }
                    else if (At(i + 1) == '{')
                    {
                        _pos = i + 2;
                    }
                    else
                    {
                        _pos = i + 1;
                        Push(new Frame { Kind = FrameKind.Hole, Start = i });
                    }

                    return true;
                case '}':
                    // Content either way: `}}` is an escape, and a lone `}` an error the compiler reports.
                    _pos = raw ? i + RunLength(i, '}') : (At(i + 1) == '}' ? i + 2 : i + 1);
                    return true;
                default:
                    // A newline ends a bad regular or single-line raw interpolated string. Holes are code and
                    // may span lines, so this is only reached in the text part.
                    _pos = i;
                    _count--;
                    return true;
            }
        }

        /// <summary>One step in a hole's format clause. False at the end of the text.</summary>
        private bool StepFormat()
        {
            StringKind kind = _frames[_count - 2].StringKind;
            int i = IndexOfAny(_pos, kind == StringKind.Regular ? RegularFormatStops : FormatStops);
            if (i < 0)
            {
                _pos = _text.Length;
                return false;
            }

            switch (_text[i])
            {
                case '\\':
                    if (!SkipEscape(ref i))
                    {
                        _pos = _text.Length;
                        return false;
                    }

                    _pos = i;
                    return true;
                case '"':
                    if (kind == StringKind.Verbatim && At(i + 1) == '"')
                    {
                        _pos = i + 2;
                        return true;
                    }

                    // A quote cannot be in a format clause: the hole ends early (an error the compiler reports)
                    // and the quote is seen again in the text part, where it may end the string.
                    _pos = i;
                    _count--;
                    return true;
                default:
                    CloseHole(i);
                    return true;
            }
        }

        /// <summary>At the <c>}</c> at <paramref name="i"/> that ends the hole on top of the stack.</summary>
        private void CloseHole(int i)
        {
            // A raw string with N dollars closes its holes with N braces; extra ones are content. Fewer is an
            // error the compiler reports, but the hole still ends there.
            int dollars = _frames[_count - 2].Dollars;
            int run = dollars == 1 ? 1 : Math.Min(RunLength(i, '}'), dollars);
            _pos = i + run;
            _count--;
        }

        private bool IsSingleLineRaw(int afterQuotes)
        {
            int i = afterQuotes;
            while (i < _text.Length && IsWhitespace(_text[i]))
            {
                i++;
            }

            return i >= _text.Length || !IsNewLine(_text[i]);
        }

        private void PushString(int start, StringKind kind, int dollars, int quotes)
        {
            Push(new Frame
            {
                Kind = FrameKind.InterpolatedString,
                Start = start,
                StringKind = kind,
                Dollars = dollars,
                Quotes = quotes,
            });
        }

        private void Push(Frame frame)
        {
            if (_count == _frames.Length)
            {
                Array.Resize(ref _frames, _frames.Length * 2);
            }

            _frames[_count++] = frame;
        }

        private int IndexOfAny(int from, SearchValues<char> values)
        {
            int i = _text.AsSpan(from).IndexOfAny(values);
            return i < 0 ? -1 : from + i;
        }

        private int RunLength(int from, char c)
        {
            int i = from;
            while (i < _text.Length && _text[i] == c)
            {
                i++;
            }

            return i - from;
        }

        private char At(int i) => i < _text.Length ? _text[i] : '\0';

        private static bool IsNewLine(char c) => c is '\r' or '\n' or '\u0085' or '\u2028' or '\u2029';

        // C# whitespace (ECMA-334 §6.3.4), as Roslyn's SyntaxFacts.IsWhitespace.
        private static bool IsWhitespace(char c) =>
            c is ' ' or '\t' or '\v' or '\f' or '\u00A0' or '\uFEFF' or '\u001A'
            || (c > 255 && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator);
    }
}
