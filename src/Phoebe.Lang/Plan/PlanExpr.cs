using System.Text;
using Phoebe.Lang.Semantics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Plan;

/// <summary>A typed, resolved expression the runtime evaluates.</summary>
public abstract record PlanExpr(PhbType Type)
{
    /// <summary>Renders the expression in Phoebe syntax with minimal parentheses.</summary>
    public sealed override string ToString()
    {
        var sb = new StringBuilder();
        PlanExprPrinter.Print(this, sb, 0);
        return sb.ToString();
    }
}

/// <summary>A constant.</summary>
public sealed record ConstPlanExpr(Value Value) : PlanExpr(Value.Type);

/// <summary>A builtin name such as <c>arg0</c> or <c>rate</c>.</summary>
public sealed record VarPlanExpr(Builtin Var, PhbType VarType) : PlanExpr(VarType);

/// <summary>A unary operation.</summary>
public sealed record UnaryPlanExpr(UnaryOp Op, PlanExpr Operand, PhbType ResultType) : PlanExpr(ResultType);

/// <summary>A binary operation (never glob/regex: see <see cref="MatchPlanExpr"/>).</summary>
public sealed record BinaryPlanExpr(BinaryOp Op, PlanExpr Left, PlanExpr Right, PhbType ResultType) : PlanExpr(ResultType);

/// <summary><c>chance(p)</c>: true with probability p, from the run's seeded generator.</summary>
public sealed record ChancePlanExpr(PlanExpr Probability) : PlanExpr(PhbType.Bool);

/// <summary>A glob or regex match against a constant pattern.</summary>
public sealed record MatchPlanExpr(PlanExpr Subject, string Pattern, bool IsRegex) : PlanExpr(PhbType.Bool);

/// <summary>Queries over plan expressions.</summary>
public static class PlanExprExtensions
{
    /// <summary>True when the expression uses a builtin name that <paramref name="match"/> accepts.</summary>
    public static bool Uses(this PlanExpr? e, Func<Builtin, bool> match) => e switch
    {
        VarPlanExpr v => match(v.Var),
        UnaryPlanExpr u => u.Operand.Uses(match),
        BinaryPlanExpr b => b.Left.Uses(match) || b.Right.Uses(match),
        ChancePlanExpr c => c.Probability.Uses(match),
        MatchPlanExpr m => m.Subject.Uses(match),
        _ => false,
    };

    /// <summary>True when a rule's filter or control condition uses <c>rate</c> or <c>observed.*</c>.</summary>
    public static bool UsesObservations(this RulePlan rule)
        => rule.Filter.Uses(IsObservation) || rule.Control.Uses(IsObservation);

    private static bool IsObservation(Builtin b) => b is Builtin.Rate or >= Builtin.ObservedMin;
}

internal static class PlanExprPrinter
{
    private static int Precedence(BinaryOp op) => op switch
    {
        BinaryOp.Or => 1,
        BinaryOp.And => 2,
        BinaryOp.Equal or BinaryOp.NotEqual => 4,
        BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual => 5,
        BinaryOp.GlobMatch or BinaryOp.RegexMatch => 6,
        BinaryOp.Add or BinaryOp.Subtract => 7,
        _ => 8,
    };

    public static string OpText(BinaryOp op) => op switch
    {
        BinaryOp.Multiply => "*",
        BinaryOp.Divide => "/",
        BinaryOp.Modulo => "mod",
        BinaryOp.Add => "+",
        BinaryOp.Subtract => "-",
        BinaryOp.Less => "<",
        BinaryOp.LessOrEqual => "<=",
        BinaryOp.Greater => ">",
        BinaryOp.GreaterOrEqual => ">=",
        BinaryOp.Equal => "==",
        BinaryOp.NotEqual => "!=",
        BinaryOp.GlobMatch => "~",
        BinaryOp.RegexMatch => "=~",
        BinaryOp.And => "&&",
        _ => "||",
    };

    public static void Print(PlanExpr e, StringBuilder sb, int outer)
    {
        switch (e)
        {
            case ConstPlanExpr c: sb.Append(c.Value.ToString()); break;
            case VarPlanExpr v: sb.Append(Builtins.Get(v.Var).Name); break;
            case ChancePlanExpr ch:
                sb.Append("chance(");
                Print(ch.Probability, sb, 0);
                sb.Append(')');
                break;
            case MatchPlanExpr m:
                Wrap(sb, outer > 6, () =>
                {
                    Print(m.Subject, sb, 7);
                    sb.Append(m.IsRegex ? " =~ " : " ~ ").Append(Value.Quote(m.Pattern));
                });
                break;
            case UnaryPlanExpr u:
                sb.Append(u.Op == UnaryOp.Negate ? "-" : "!");
                Print(u.Operand, sb, 9);
                break;
            case BinaryPlanExpr b:
                int p = Precedence(b.Op);
                Wrap(sb, p < outer, () =>
                {
                    Print(b.Left, sb, p);
                    sb.Append(' ').Append(OpText(b.Op)).Append(' ');
                    Print(b.Right, sb, p + 1);
                });
                break;
        }
    }

    private static void Wrap(StringBuilder sb, bool parens, Action body)
    {
        if (parens) sb.Append('(');
        body();
        if (parens) sb.Append(')');
    }
}
