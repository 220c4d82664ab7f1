using System.Collections.Immutable;

namespace Phoebe.Lang.Syntax;

/// <summary>An expression in a rule condition or action.</summary>
public abstract record ExprNode(TextSpan Span) : SyntaxNode(Span);

/// <summary>The lexical kind of a literal.</summary>
public enum LiteralKind
{
    /// <summary>Decimal integer: <c>42</c>, <c>1_000</c>.</summary>
    Int,
    /// <summary>Hexadecimal integer: <c>0x1F</c>.</summary>
    Hex,
    /// <summary>Floating point: <c>1.2</c>, <c>1e-3</c>.</summary>
    Float,
    /// <summary>Duration: <c>10ms</c>, <c>2s</c>.</summary>
    Duration,
    /// <summary>Percentage: <c>5%</c>.</summary>
    Percentage,
    /// <summary>String with escapes: <c>"a\n"</c>.</summary>
    String,
    /// <summary>Raw string without escapes: <c>'a\d'</c>.</summary>
    RawString,
    /// <summary><c>true</c> or <c>false</c>.</summary>
    Bool,
}

/// <summary>A literal as written; the checker decodes its value.</summary>
public sealed record LiteralExpr(LiteralKind Kind, string Text, TextSpan Span) : ExprNode(Span);

/// <summary>A (possibly dotted) name: <c>path</c>, <c>observed.max</c>, <c>ENOENT</c>.</summary>
public sealed record NameExpr(ImmutableArray<Identifier> Parts, TextSpan Span) : ExprNode(Span)
{
    /// <summary>The dotted name as one string.</summary>
    public string FullName => Parts.Length == 1 ? Parts[0].Text : string.Join('.', Parts.Select(p => p.Text));
}

/// <summary>A function call: <c>chance(5%)</c>.</summary>
public sealed record CallExpr(Identifier Function, ImmutableArray<ExprNode> Arguments, TextSpan Span) : ExprNode(Span);

/// <summary>Parentheses, kept so that formatting preserves them.</summary>
public sealed record ParenExpr(ExprNode Inner, TextSpan Span) : ExprNode(Span);

/// <summary>Unary operators.</summary>
public enum UnaryOp
{
    /// <summary><c>-x</c>.</summary>
    Negate,
    /// <summary><c>!x</c> (tight) or <c>not x</c> (loose).</summary>
    Not,
}

/// <summary>A unary operation; <see cref="OpText"/> keeps the spelling (<c>!</c> or <c>not</c>).</summary>
public sealed record UnaryExpr(UnaryOp Op, string OpText, ExprNode Operand, TextSpan Span) : ExprNode(Span);

/// <summary>Binary operators.</summary>
public enum BinaryOp
{
    /// <summary><c>*</c></summary>
    Multiply,
    /// <summary><c>/</c></summary>
    Divide,
    /// <summary><c>mod</c>: integer remainder.</summary>
    Modulo,
    /// <summary><c>+</c></summary>
    Add,
    /// <summary><c>-</c></summary>
    Subtract,
    /// <summary><c>&lt;</c></summary>
    Less,
    /// <summary><c>&lt;=</c></summary>
    LessOrEqual,
    /// <summary><c>&gt;</c></summary>
    Greater,
    /// <summary><c>&gt;=</c></summary>
    GreaterOrEqual,
    /// <summary><c>==</c></summary>
    Equal,
    /// <summary><c>!=</c></summary>
    NotEqual,
    /// <summary><c>~</c>: glob match.</summary>
    GlobMatch,
    /// <summary><c>=~</c>: regular expression match.</summary>
    RegexMatch,
    /// <summary><c>&amp;&amp;</c> or <c>and</c>.</summary>
    And,
    /// <summary><c>||</c> or <c>or</c>.</summary>
    Or,
}

/// <summary>A binary operation; <see cref="OpText"/> keeps the spelling (<c>&amp;&amp;</c> or <c>and</c>).</summary>
public sealed record BinaryExpr(BinaryOp Op, string OpText, TextSpan OpSpan, ExprNode Left, ExprNode Right, TextSpan Span) : ExprNode(Span);

/// <summary>Stands where the parser could not build an expression; it has already been reported.</summary>
public sealed record ErrorExpr(TextSpan Span) : ExprNode(Span);
