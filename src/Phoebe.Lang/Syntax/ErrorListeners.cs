using Antlr4.Runtime;
using Antlr4.Runtime.Misc;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax.Generated;

namespace Phoebe.Lang.Syntax;

/// <summary>Turns lexer errors into diagnostics (the grammar's UNKNOWN rule makes them rare).</summary>
internal sealed class LexerErrorListener(DiagnosticBag bag, SourceText source) : IAntlrErrorListener<int>
{
    public void SyntaxError(TextWriter output, IRecognizer recognizer, int offendingSymbol, int line, int charPositionInLine,
        string msg, RecognitionException e)
    {
        int index = (recognizer as Lexer)?.TokenStartCharIndex ?? 0;
        bag.Report(DiagnosticCatalog.UnexpectedCharacter, source, new TextSpan(index, 1), "unexpected character");
    }
}

/// <summary>
/// Turns parser errors into diagnostics in the language's words:
/// "expected `DO`, found `3`" rather than ANTLR's token names.
/// </summary>
internal sealed class ParserErrorListener(DiagnosticBag bag, SourceText source, HashSet<int> suppressAt) : IAntlrErrorListener<IToken>
{
    private static readonly HashSet<string> UpperKeywords = new(StringComparer.Ordinal)
    {
        "RULE", "ON", "ENTRY", "EXIT", "IF", "DO", "ENDRULE", "HEALTH", "EVERY", "TIMEOUT",
    };

    private int lastReported = -1;

    /// <summary>Offsets of the tokens at which errors were found.</summary>
    public List<int> ErrorOffsets { get; } = new();

    public void SyntaxError(TextWriter output, IRecognizer recognizer, IToken offendingSymbol, int line, int charPositionInLine,
        string msg, RecognitionException e)
    {
        var parser = (PhoebeParser)recognizer;
        int offset = offendingSymbol.Type == TokenConstants.EOF ? source.Text.Length : offendingSymbol.StartIndex;
        ErrorOffsets.Add(offset);
        // One report per position: ANTLR's recovery may call twice for one token,
        // and a lexical error already explained the token after an unknown character.
        if (offset == lastReported || suppressAt.Contains(offset)) return;
        lastReported = offset;

        IntervalSet expected;
        try { expected = e?.GetExpectedTokens() ?? parser.GetExpectedTokens(); }
        catch (Exception) { expected = new IntervalSet(); }

        string found = Describe(offendingSymbol);
        string want = DescribeExpected(expected);
        string message = want.Length > 0 ? $"expected {want}, found {found}" : $"unexpected {found}";
        var hints = new List<string>();
        string text = offendingSymbol.Text ?? "";
        if (offendingSymbol.Type == PhoebeLexer.ID && UpperKeywords.Contains(text.ToUpperInvariant()))
        {
            hints.Add($"keywords are upper case: write `{text.ToUpperInvariant()}`");
        }
        else if (offendingSymbol.Type == PhoebeLexer.ID && (text == "endrule" || text == "Endrule"))
        {
            hints.Add("keywords are upper case: write `ENDRULE`");
        }
        if (expected.Contains(PhoebeLexer.DO) && offendingSymbol.Type is TokenConstants.EOF or PhoebeLexer.RULE or PhoebeLexer.HEALTH)
        {
            hints.Add("every rule needs `DO` and at least one action, e.g. `DO return ENOENT`");
        }
        var span = PhbParser.Span(offendingSymbol);
        if (offendingSymbol.Type == TokenConstants.EOF) span = new TextSpan(source.Text.Length, 0);
        bag.Report(DiagnosticCatalog.SyntaxError, source, span, message, hints.ToArray());
    }

    private static string Describe(IToken token)
    {
        if (token.Type == TokenConstants.EOF) return "end of file";
        string text = token.Text ?? "";
        if (token.Type == PhoebeLexer.CSHARP_BLOCK) return "a `{ ... }` block";
        if (text.Length > 30) text = text[..30] + "...";
        text = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return $"`{text}`";
    }

    private static string DescribeExpected(IntervalSet set)
    {
        var types = set.ToList();
        var words = new List<string>();
        bool expression = types.Contains(PhoebeLexer.ID) && types.Contains(PhoebeLexer.INT) && types.Contains(PhoebeLexer.LPAREN);
        if (expression) words.Add("an expression");
        foreach (int t in types)
        {
            if (expression && IsExpressionStart(t)) continue;
            // Soft keywords can also be names: where a name fits, "a name" says it.
            bool softKeyword = t is PhoebeLexer.RETURN or PhoebeLexer.DELAY or PhoebeLexer.SIGNAL or PhoebeLexer.LOG or PhoebeLexer.IMPORT;
            string? w = t switch
            {
                TokenConstants.EOF => "end of file",
                PhoebeLexer.ID => "a name",
                PhoebeLexer.INT or PhoebeLexer.HEX => "a number",
                PhoebeLexer.STRING or PhoebeLexer.RAW_STRING => "a string",
                PhoebeLexer.CSHARP_BLOCK => "`{`",
                PhoebeLexer.UNKNOWN or PhoebeLexer.UNTERMINATED_STRING or PhoebeLexer.LINE_COMMENT or PhoebeLexer.WS => null,
                _ when softKeyword && types.Contains(PhoebeLexer.ID) => null,
                _ => Literal(t),
            };
            if (w != null && !words.Contains(w)) words.Add(w);
        }
        if (words.Count == 0) return "";
        if (words.Count > 7) words = words.Take(7).Append("...").ToList();
        return words.Count == 1 ? words[0] : string.Join(", ", words.Take(words.Count - 1)) + " or " + words[^1];
    }

    private static bool IsExpressionStart(int t) => t is PhoebeLexer.ID or PhoebeLexer.INT or PhoebeLexer.HEX or PhoebeLexer.FLOAT
        or PhoebeLexer.DURATION or PhoebeLexer.PERCENTAGE or PhoebeLexer.STRING or PhoebeLexer.RAW_STRING or PhoebeLexer.TRUE
        or PhoebeLexer.FALSE or PhoebeLexer.LPAREN or PhoebeLexer.BANG or PhoebeLexer.MINUS or PhoebeLexer.NOT
        or PhoebeLexer.RETURN or PhoebeLexer.DELAY or PhoebeLexer.SIGNAL or PhoebeLexer.LOG or PhoebeLexer.IMPORT;

    private static string? Literal(int type)
    {
        string? name = PhoebeLexer.DefaultVocabulary.GetLiteralName(type);
        return name is null ? null : "`" + name.Trim('\'') + "`";
    }
}
