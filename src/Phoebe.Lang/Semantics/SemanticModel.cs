using System.Collections.Immutable;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Semantics;

/// <summary>What the checker learned about one expression.</summary>
public readonly record struct ExprInfo(PhbType Type, Value? Constant, TermKind Kind)
{
    /// <summary>The info of an expression that already produced an error.</summary>
    public static ExprInfo Error => new(PhbType.Error, null, TermKind.Constant);
}

/// <summary>A rule with its targets resolved.</summary>
public sealed record CheckedRule(
    RuleDecl Decl,
    SourceText Source,
    ImmutableArray<SyscallInfo> Syscalls,
    ImmutableArray<FunctionTarget> Functions);

/// <summary>A health check with its options resolved.</summary>
public sealed record CheckedHealth(HealthDecl Decl, SourceText Source, long? EveryNanoseconds, long? TimeoutNanoseconds);

/// <summary>
/// Facts the checker computed, kept in side tables keyed by node identity (the
/// syntax tree stays immutable and knows nothing of types).
/// </summary>
public sealed class SemanticModel
{
    private readonly Dictionary<ExprNode, ExprInfo> exprs = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NameExpr, Builtin> builtins = new(ReferenceEqualityComparer.Instance);

    /// <summary>Rules in source order (imports first), as checked.</summary>
    public List<CheckedRule> Rules { get; } = new();

    /// <summary>Health checks in source order, as checked.</summary>
    public List<CheckedHealth> HealthChecks { get; } = new();

    /// <summary>The info of an expression the checker has seen.</summary>
    public ExprInfo Info(ExprNode node) => exprs.TryGetValue(node, out var info) ? info : ExprInfo.Error;

    /// <summary>The builtin a name resolved to, if it did.</summary>
    public Builtin? BuiltinOf(NameExpr name) => builtins.TryGetValue(name, out var b) ? b : null;

    internal ExprInfo Record(ExprNode node, ExprInfo info)
    {
        exprs[node] = info;
        return info;
    }

    internal void RecordBuiltin(NameExpr name, Builtin b) => builtins[name] = b;
}
