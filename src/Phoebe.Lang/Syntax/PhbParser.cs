using System.Collections.Immutable;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax.Generated;

namespace Phoebe.Lang.Syntax;

/// <summary>Parses <c>.phb</c> text into a syntax tree with error recovery.</summary>
public static class PhbParser
{
    /// <summary>Parentheses and prefix operators nested deeper than this are rejected.</summary>
    public const int MaxNesting = 128;

    /// <summary>Parses a source text. Never throws for bad input: problems become diagnostics.</summary>
    public static ParseResult Parse(SourceText source)
    {
        var bag = new DiagnosticBag();
        var lexer = new PhoebeLexer(source.Text);
        lexer.RemoveErrorListeners();
        lexer.AddErrorListener(new LexerErrorListener(bag, source));

        var tokens = new List<IToken>();
        var comments = ImmutableArray.CreateBuilder<Comment>();
        var followsBadToken = new HashSet<int>();
        bool afterBad = false;
        foreach (var raw in lexer.GetAllTokens())
        {
            var token = raw;
            switch (token.Type)
            {
                case PhoebeLexer.LINE_COMMENT:
                    comments.Add(new Comment(token.Text, Span(token)));
                    continue;
                case PhoebeLexer.UNKNOWN:
                    ReportUnknown(bag, source, token);
                    afterBad = true;
                    continue;
                case PhoebeLexer.UNTERMINATED_STRING:
                    bag.Report(DiagnosticCatalog.UnterminatedString, source, new TextSpan(token.StartIndex, 1),
                        "string is not closed before the end of the line",
                        $"close it with {token.Text[0]}");
                    // Hand the parser a string so that it can go on.
                    var fixedToken = new CommonToken(token) { Type = token.Text[0] == '"' ? PhoebeLexer.STRING : PhoebeLexer.RAW_STRING };
                    token = fixedToken;
                    break;
            }
            if (afterBad) followsBadToken.Add(token.StartIndex);
            afterBad = false;
            tokens.Add(token);
        }
        foreach (var block in lexer.UnterminatedBlocks)
        {
            var label = new DiagnosticLabel(source, new TextSpan(block.OpenAt, 1), $"this {block.What} is still open at the end of the file");
            bag.Report(DiagnosticCatalog.UnterminatedCSharpBlock, source, new TextSpan(block.BlockStart, 1),
                "the C# block of this health check is not closed", label,
                "add the matching `}`, or close the string, character literal or comment that swallowed it");
        }
        // An unknown character at the very end: the parser's complaint about EOF follows from it.
        if (afterBad) followsBadToken.Add(source.Text.Length);

        if (ExceedsNesting(tokens, out var deepToken))
        {
            bag.Report(DiagnosticCatalog.NestingTooDeep, source, Span(deepToken),
                $"expression nested more than {MaxNesting} levels deep",
                "split the condition into simpler parts");
            return new ParseResult(new PhbFile(source, ImmutableArray<ItemNode>.Empty, comments.ToImmutable()), bag.Items);
        }

        var parser = new PhoebeParser(new CommonTokenStream(new ListTokenSource(tokens)));
        parser.RemoveErrorListeners();
        var listener = new ParserErrorListener(bag, source, followsBadToken);
        parser.AddErrorListener(listener);
        var itemBuilder = new ItemBuilder(new SyntaxTreeBuilder(source, bag), listener.ErrorOffsets);
        parser.AddParseListener(itemBuilder);
        try
        {
            parser.file();
        }
        catch (NestingTooDeepException e)
        {
            bag.Report(DiagnosticCatalog.NestingTooDeep, source, Span(e.At), "input nested too deeply to parse",
                "split the condition into simpler parts");
            return new ParseResult(new PhbFile(source, ImmutableArray<ItemNode>.Empty, comments.ToImmutable()), bag.Items);
        }
        return new ParseResult(new PhbFile(source, itemBuilder.Items.ToImmutable(), comments.ToImmutable()), bag.Items);
    }

    /// <summary>
    /// Builds each top-level item into the AST when the parser exits it, then
    /// detaches its parse subtree so that memory stays proportional to one item.
    /// </summary>
    private sealed class ItemBuilder(SyntaxTreeBuilder builder, List<int> errorOffsets) : IParseTreeListener
    {
        private int errorsAtEntry;

        public ImmutableArray<ItemNode>.Builder Items { get; } = ImmutableArray.CreateBuilder<ItemNode>();

        public void EnterEveryRule(ParserRuleContext ctx)
        {
            if (ctx is PhoebeParser.ItemContext) errorsAtEntry = errorOffsets.Count;
        }

        public void ExitEveryRule(ParserRuleContext ctx)
        {
            if (ctx is not PhoebeParser.ItemContext item) return;
            if (builder.TryBuild(item, errorOffsets.Skip(errorsAtEntry)) is { } node) Items.Add(node);
            (item.Parent as ParserRuleContext)?.RemoveLastChild();
        }

        public void VisitTerminal(ITerminalNode node)
        {
        }

        public void VisitErrorNode(IErrorNode node)
        {
        }
    }

    internal static TextSpan Span(IToken token)
    {
        if (token.Type == TokenConstants.EOF || token.StartIndex < 0) return new TextSpan(Math.Max(0, token.StartIndex), 0);
        return TextSpan.FromBounds(token.StartIndex, token.StopIndex + 1);
    }

    private static void ReportUnknown(DiagnosticBag bag, SourceText source, IToken token)
    {
        string text = token.Text;
        string shown = text.Length > 20 ? text[..20] + "..." : text;
        string hint = text switch
        {
            "=" => "compare with `==`",
            "&" => "write `&&` (or `and`) for logical and",
            "|" => "write `||` (or `or`) for logical or",
            "}" => "a `}` only closes the C# block of a HEALTH check",
            _ when text.StartsWith(':') => "a library function is written `function@library`",
            _ => "remove it, or put it inside a string or a comment",
        };
        string printable = new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        string what = text.Length == 1 ? "character" : "characters";
        bag.Report(DiagnosticCatalog.UnexpectedCharacter, source, Span(token), $"unexpected {what} `{printable}`", hint);
    }

    private static bool ExceedsNesting(List<IToken> tokens, out IToken deepest)
    {
        int depth = 0, prefixRun = 0;
        foreach (var t in tokens)
        {
            switch (t.Type)
            {
                case PhoebeLexer.LPAREN: depth++; prefixRun = 0; break;
                case PhoebeLexer.RPAREN: depth = Math.Max(0, depth - 1); prefixRun = 0; break;
                case PhoebeLexer.BANG:
                case PhoebeLexer.MINUS:
                case PhoebeLexer.NOT:
                    prefixRun++; break;
                default: prefixRun = 0; break;
            }
            if (depth > MaxNesting || prefixRun > MaxNesting)
            {
                deepest = t;
                return true;
            }
        }
        deepest = tokens.Count > 0 ? tokens[^1] : new CommonToken(TokenConstants.EOF);
        return false;
    }
}
