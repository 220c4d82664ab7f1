namespace Phoebe.Lang.Syntax;

/// <summary>Base of every syntax node: immutable, with the span it was parsed from.</summary>
public abstract record SyntaxNode(TextSpan Span);

/// <summary>A name as written: a rule, syscall, class, errno, signal or builtin name.</summary>
public sealed record Identifier(string Text, TextSpan Span) : SyntaxNode(Span);

/// <summary>A comment (<c>#</c> or <c>//</c> to the end of the line).</summary>
public sealed record Comment(string Text, TextSpan Span) : SyntaxNode(Span);
