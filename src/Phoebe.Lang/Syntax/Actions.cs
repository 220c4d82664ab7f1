namespace Phoebe.Lang.Syntax;

/// <summary>One action of a rule's <c>DO</c> list.</summary>
public abstract record ActionNode(TextSpan Span) : SyntaxNode(Span);

/// <summary><c>return ERRNO</c> or <c>return N</c>.</summary>
public sealed record ReturnAction(ExprNode Value, TextSpan Span) : ActionNode(Span);

/// <summary><c>delay D</c>: delays the calling thread.</summary>
public sealed record DelayAction(ExprNode Duration, TextSpan Span) : ActionNode(Span);

/// <summary><c>signal SIGNAME</c>: delivers a signal to the calling thread.</summary>
public sealed record SignalAction(Identifier Signal, TextSpan Span) : ActionNode(Span);

/// <summary><c>log "text"</c>: writes an event; <see cref="Message"/> is the literal as written.</summary>
public sealed record LogAction(LiteralExpr Message, TextSpan Span) : ActionNode(Span);
