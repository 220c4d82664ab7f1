using System.Collections.Immutable;

namespace Phoebe.Lang.Syntax;

/// <summary>A parsed <c>.phb</c> file: its items in source order and its comments.</summary>
public sealed record PhbFile(SourceText Source, ImmutableArray<ItemNode> Items, ImmutableArray<Comment> Comments);

/// <summary>A top-level item: an import, a rule or a health check.</summary>
public abstract record ItemNode(TextSpan Span) : SyntaxNode(Span);

/// <summary><c>import "path"</c>; <see cref="Path"/> is the decoded string.</summary>
public sealed record ImportDecl(string Path, TextSpan PathSpan, TextSpan Span) : ItemNode(Span);

/// <summary>When a rule acts: before the syscall runs, or after it returned.</summary>
public enum Phase
{
    /// <summary>At syscall entry: the call does not run when the rule returns.</summary>
    Entry,

    /// <summary>At syscall exit: the call ran, its result is replaced.</summary>
    Exit,
}

/// <summary>
/// <c>RULE name ON targets [ENTRY|EXIT] [IF condition] DO actions [ENDRULE]</c>.
/// <see cref="PhaseSpan"/> is null when the phase was omitted (it is then ENTRY).
/// </summary>
public sealed record RuleDecl(
    Identifier Name,
    ImmutableArray<TargetNode> Targets,
    Phase Phase,
    TextSpan? PhaseSpan,
    ExprNode? Condition,
    ImmutableArray<ActionNode> Actions,
    bool HasEndRule,
    TextSpan Span) : ItemNode(Span);

/// <summary>Which option of a health check.</summary>
public enum HealthOptionKind
{
    /// <summary><c>EVERY d</c>: how often the check runs.</summary>
    Every,

    /// <summary><c>TIMEOUT d</c>: how long one run may take.</summary>
    Timeout,
}

/// <summary>An option of a health check with its value.</summary>
public sealed record HealthOption(HealthOptionKind Kind, ExprNode Value, TextSpan Span) : SyntaxNode(Span);

/// <summary>
/// <c>HEALTH name [EVERY d] [TIMEOUT d] { C# }</c>. <see cref="Body"/> is the C#
/// between the braces, verbatim; <see cref="BodySpan"/> locates it in the file so
/// that C# diagnostics map back to <c>.phb</c> positions.
/// </summary>
public sealed record HealthDecl(
    Identifier Name,
    ImmutableArray<HealthOption> Options,
    string Body,
    TextSpan BodySpan,
    TextSpan Span) : ItemNode(Span);
