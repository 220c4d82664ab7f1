using System.Collections.Immutable;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax.Generated;
using P = Phoebe.Lang.Syntax.Generated.PhoebeParser;

namespace Phoebe.Lang.Syntax;

/// <summary>
/// The one place that turns ANTLR parse trees into Phoebe's immutable AST. Each
/// method quotes the grammar production it handles. Items containing a syntax
/// error are dropped (the error is already reported).
/// </summary>
internal sealed class SyntaxTreeBuilder(SourceText source, DiagnosticBag bag)
{
    /// <summary>Expressions deeper than this (e.g. a chain of 100k <c>+</c>) are cut off with an error.</summary>
    public const int MaxExpressionDepth = 1000;

    private int depth;

    // file : item* EOF ;
    // Items are built one at a time as the parser finishes them (see ItemBuilder),
    // so that the parse tree of a large file never exists whole.

    /// <summary>Builds an item unless a syntax error lies inside it.</summary>
    public ItemNode? TryBuild(P.ItemContext ctx, IEnumerable<int> errorsWhileParsing)
    {
        int start = ctx.Start.StartIndex;
        var stop = ctx.Stop ?? ctx.Start;
        int end = stop.Type == TokenConstants.EOF ? int.MaxValue : stop.StopIndex + 1;
        if (ctx.exception != null || errorsWhileParsing.Any(e => e >= start && e < end)) return null;
        return BuildItem(ctx);
    }

    // item : importDecl | ruleDecl | healthDecl ;
    private ItemNode? BuildItem(P.ItemContext ctx)
    {
        try
        {
            if (ctx.importDecl() is { } imp) return BuildImport(imp);
            if (ctx.ruleDecl() is { } rule) return BuildRule(rule);
            if (ctx.healthDecl() is { } health) return BuildHealth(health);
        }
        catch (IncompleteTreeException)
        {
            // ANTLR's recovery left a hole; the error was reported by the listener.
        }
        return null;
    }

    // importDecl : IMPORT STRING ;
    private ImportDecl BuildImport(P.ImportDeclContext ctx)
    {
        var str = Need(ctx.STRING()).Symbol;
        string path = LiteralDecoder.DecodeString(str.Text, isRaw: false, out _);
        return new ImportDecl(path, PhbParser.Span(str), SpanOf(ctx));
    }

    // ruleDecl : RULE name=ident ON targetList phase? (IF condition=expr)? DO actionList ENDRULE? ;
    private RuleDecl BuildRule(P.RuleDeclContext ctx)
    {
        var name = BuildIdent(Need(ctx.name));
        var targets = Need(ctx.targetList()).target().Select(BuildTarget).ToImmutableArray();
        var phase = Phase.Entry;
        TextSpan? phaseSpan = null;
        if (ctx.phase() is { } ph)
        {
            phase = ph.EXIT() != null ? Phase.Exit : Phase.Entry;
            phaseSpan = SpanOf(ph);
        }
        ExprNode? condition = ctx.IF() != null ? BuildExpr(Need(ctx.condition)) : null;
        var actions = Need(ctx.actionList()).action().Select(BuildAction).ToImmutableArray();
        return new RuleDecl(name, targets, phase, phaseSpan, condition, actions, ctx.ENDRULE() != null, SpanOf(ctx));
    }

    // target : PERCENT name=ident | function=ident AT library=ident | name=ident ;
    private TargetNode BuildTarget(P.TargetContext ctx) => ctx switch
    {
        P.ClassTargetContext c => new ClassTarget(BuildIdent(Need(c.name)), SpanOf(c)),
        P.FunctionTargetContext f => new FunctionTarget(BuildIdent(Need(f.function)), BuildIdent(Need(f.library)), SpanOf(f)),
        P.SyscallTargetContext s => new SyscallTarget(BuildIdent(Need(s.name))),
        _ => throw new IncompleteTreeException(),
    };

    // action : RETURN value=expr | DELAY duration=expr | SIGNAL name=ident | LOG message=(STRING | RAW_STRING) ;
    private ActionNode BuildAction(P.ActionContext ctx) => ctx switch
    {
        P.ReturnActionContext r => new ReturnAction(BuildExpr(Need(r.value)), SpanOf(r)),
        P.DelayActionContext d => new DelayAction(BuildExpr(Need(d.duration)), SpanOf(d)),
        P.SignalActionContext s => new SignalAction(BuildIdent(Need(s.name)), SpanOf(s)),
        P.LogActionContext l => new LogAction(new LiteralExpr(Need(l.message).Type == PhoebeLexer.RAW_STRING ? LiteralKind.RawString : LiteralKind.String,
            l.message.Text, PhbParser.Span(l.message)), SpanOf(l)),
        _ => throw new IncompleteTreeException(),
    };

    // healthDecl : HEALTH name=ident healthOption* CSHARP_BLOCK ;
    // healthOption : EVERY period=expr | TIMEOUT limit=expr ;
    private HealthDecl BuildHealth(P.HealthDeclContext ctx)
    {
        var name = BuildIdent(Need(ctx.name));
        var options = ctx.healthOption().Select(o => o switch
        {
            P.EveryOptionContext e => new HealthOption(HealthOptionKind.Every, BuildExpr(Need(e.period)), SpanOf(e)),
            P.TimeoutOptionContext t => new HealthOption(HealthOptionKind.Timeout, BuildExpr(Need(t.limit)), SpanOf(t)),
            _ => throw new IncompleteTreeException(),
        }).ToImmutableArray();
        var block = Need(ctx.CSHARP_BLOCK()).Symbol;
        var blockSpan = PhbParser.Span(block);
        // The body is what lies between the braces; an unterminated block has no closing brace.
        bool closed = block.Text.Length >= 2 && block.Text[^1] == '}';
        var bodySpan = TextSpan.FromBounds(blockSpan.Start + 1, closed ? blockSpan.End - 1 : blockSpan.End);
        string body = source.Text.Substring(bodySpan.Start, bodySpan.Length);
        return new HealthDecl(name, options, body, bodySpan, SpanOf(ctx));
    }

    // expr : the alternatives of the expression rule, tightest first.
    private ExprNode BuildExpr(P.ExprContext ctx)
    {
        if (++depth > MaxExpressionDepth)
        {
            depth--;
            var span = SpanOf(ctx);
            bag.Report(DiagnosticCatalog.NestingTooDeep, source, new TextSpan(span.Start, 1),
                $"expression is more than {MaxExpressionDepth} operators deep", "split the condition into simpler parts");
            return new ErrorExpr(span);
        }
        try
        {
            return ctx switch
            {
                // LPAREN inner=expr RPAREN
                P.ParenExprContext p => new ParenExpr(BuildExpr(Need(p.inner)), SpanOf(p)),
                // function=ident LPAREN (expr (COMMA expr)*)? RPAREN
                P.CallExprContext c => new CallExpr(BuildIdent(Need(c.function)), c.expr().Select(BuildExpr).ToImmutableArray(), SpanOf(c)),
                // ident (DOT ident)*
                P.NameExprContext n => new NameExpr(n.ident().Select(BuildIdent).ToImmutableArray(), SpanOf(n)),
                // literal
                P.LiteralExprContext l => BuildLiteral(Need(l.literal())),
                // op=(BANG | MINUS) operand=expr | op=NOT operand=expr
                P.UnaryExprContext u => new UnaryExpr(u.op.Type == PhoebeLexer.MINUS ? UnaryOp.Negate : UnaryOp.Not, u.op.Text,
                    BuildExpr(Need(u.operand)), SpanOf(u)),
                // left=expr op=(...) right=expr
                P.BinaryExprContext b => new BinaryExpr(BinaryOpOf(b.op), b.op.Text, PhbParser.Span(b.op),
                    BuildExpr(Need(b.left)), BuildExpr(Need(b.right)), SpanOf(b)),
                _ => throw new IncompleteTreeException(),
            };
        }
        finally
        {
            depth--;
        }
    }

    // literal : INT | HEX | FLOAT | DURATION | PERCENTAGE | STRING | RAW_STRING | TRUE | FALSE ;
    private static LiteralExpr BuildLiteral(P.LiteralContext ctx)
    {
        var token = ctx.Start;
        var kind = token.Type switch
        {
            PhoebeLexer.INT => LiteralKind.Int,
            PhoebeLexer.HEX => LiteralKind.Hex,
            PhoebeLexer.FLOAT => LiteralKind.Float,
            PhoebeLexer.DURATION => LiteralKind.Duration,
            PhoebeLexer.PERCENTAGE => LiteralKind.Percentage,
            PhoebeLexer.STRING => LiteralKind.String,
            PhoebeLexer.RAW_STRING => LiteralKind.RawString,
            PhoebeLexer.TRUE or PhoebeLexer.FALSE => LiteralKind.Bool,
            _ => throw new IncompleteTreeException(),
        };
        return new LiteralExpr(kind, token.Text, PhbParser.Span(token));
    }

    private static BinaryOp BinaryOpOf(IToken op) => op.Type switch
    {
        PhoebeLexer.STAR => BinaryOp.Multiply,
        PhoebeLexer.SLASH => BinaryOp.Divide,
        PhoebeLexer.MOD => BinaryOp.Modulo,
        PhoebeLexer.PLUS => BinaryOp.Add,
        PhoebeLexer.MINUS => BinaryOp.Subtract,
        PhoebeLexer.LT => BinaryOp.Less,
        PhoebeLexer.LE => BinaryOp.LessOrEqual,
        PhoebeLexer.GT => BinaryOp.Greater,
        PhoebeLexer.GE => BinaryOp.GreaterOrEqual,
        PhoebeLexer.EQ => BinaryOp.Equal,
        PhoebeLexer.NE => BinaryOp.NotEqual,
        PhoebeLexer.TILDE => BinaryOp.GlobMatch,
        PhoebeLexer.REGEX_MATCH => BinaryOp.RegexMatch,
        PhoebeLexer.ANDAND or PhoebeLexer.AND => BinaryOp.And,
        PhoebeLexer.OROR or PhoebeLexer.OR => BinaryOp.Or,
        _ => throw new IncompleteTreeException(),
    };

    // ident : ID | RETURN | DELAY | SIGNAL | LOG | IMPORT ;
    private static Identifier BuildIdent(P.IdentContext ctx)
    {
        var token = ctx.Start;
        if (token == null || token.Type == TokenConstants.EOF || ctx.exception != null) throw new IncompleteTreeException();
        return new Identifier(token.Text, PhbParser.Span(token));
    }

    private static T Need<T>(T? node) where T : class => node switch
    {
        null => throw new IncompleteTreeException(),
        IErrorNode => throw new IncompleteTreeException(),
        ParserRuleContext { exception: not null } => throw new IncompleteTreeException(),
        ITerminalNode { Symbol.TokenIndex: -1 } => throw new IncompleteTreeException(),
        _ => node,
    };

    private static IToken Need(IToken? token) => token ?? throw new IncompleteTreeException();

    private static TextSpan SpanOf(ParserRuleContext ctx)
    {
        int start = ctx.Start.StartIndex;
        var stop = ctx.Stop ?? ctx.Start;
        int end = stop.Type == TokenConstants.EOF ? start : Math.Max(start, stop.StopIndex + 1);
        return TextSpan.FromBounds(start, end);
    }

    private sealed class IncompleteTreeException : Exception;
}
