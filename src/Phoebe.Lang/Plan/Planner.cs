using System.Collections.Immutable;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Semantics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Plan;

/// <summary>
/// Lowers checked rules into an <see cref="InjectionPlan"/>: splits each condition
/// into its per-call filter and control condition, folds constants, resolves
/// actions, and lists the backends that can run the rule, fastest first.
/// </summary>
public static class Planner
{
    /// <summary>Health-check period when EVERY is omitted.</summary>
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(5);

    /// <summary>Health-check timeout when TIMEOUT is omitted.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Builds the plan of a model that has no errors.</summary>
    public static InjectionPlan Build(SemanticModel model)
    {
        var rules = model.Rules.Select(r => PlanRule(r, model)).ToImmutableArray();
        var checks = model.HealthChecks.Select(h => new HealthCheckPlan(
            h.Decl.Name.Text,
            Locate(h.Source, h.Decl.Span.Start),
            h.Decl.Body,
            Locate(h.Source, h.Decl.BodySpan.Start),
            h.EveryNanoseconds is { } e ? TimeSpan.FromTicks(e / 100) : DefaultEvery,
            h.TimeoutNanoseconds is { } t ? TimeSpan.FromTicks(t / 100) : DefaultTimeout)).ToImmutableArray();
        return new InjectionPlan(rules, checks);
    }

    private static SourceLocation Locate(SourceText src, int offset)
    {
        var pos = src.GetPosition(offset);
        return new SourceLocation(src.Path, pos.Line, pos.Column);
    }

    private static RulePlan PlanRule(CheckedRule rule, SemanticModel model)
    {
        var decl = rule.Decl;
        PlanExpr? filter = null, control = null;
        if (decl.Condition is { } cond)
        {
            foreach (var conjunct in Checker.Conjuncts(cond))
            {
                var info = model.Info(conjunct);
                if (info.Constant is { Bool: true }) continue;
                var lowered = Lower(conjunct, model);
                if (info.Kind.HasFlag(TermKind.Control) && !info.Kind.HasFlag(TermKind.PerCall)) control = And(control, lowered);
                else filter = And(filter, lowered);
            }
        }
        var actions = decl.Actions.Select(a => LowerAction(a, model)).ToImmutableArray();
        string? errno = actions.OfType<ReturnErrnoAction>().FirstOrDefault()?.Name;
        var syscalls = rule.Syscalls.Select(s => new SyscallRef(s.Name, s.X86_64Number, s.Aarch64Number,
            SyscallArguments.FdIndex(s.Name), SyscallArguments.PathIndex(s.Name), ArgumentKinds(s.Name))).ToImmutableArray();
        var functions = rule.Functions.Select(f => new FunctionRef(f.Function.Text, f.Library.Text)).ToImmutableArray();
        var backends = ChooseBackends(decl.Phase, syscalls, functions, filter, control, actions);
        return new RulePlan(decl.Name.Text, Locate(rule.Source, decl.Span.Start), syscalls, functions, decl.Phase,
            filter, control, actions, errno, backends);
    }

    // C types the kernel takes as 32-bit values (SYSCALL_DEFINE uses only the low half of the register).
    private static readonly HashSet<string> Signed32 = new(StringComparer.Ordinal) { "int", "pid_t", "key_t", "clockid_t", "mqd_t", "int32_t", "__s32", "idtype_t", "timer_t" };
    private static readonly HashSet<string> Unsigned32 = new(StringComparer.Ordinal) { "unsigned int", "unsigned", "uid_t", "gid_t", "mode_t", "umode_t", "uint32_t", "__u32", "u32", "socklen_t", "id_t" };

    private static ImmutableArray<ArgumentKind> ArgumentKinds(string syscall)
    {
        var kinds = new ArgumentKind[6];
        if (SyscallArguments.For(syscall) is { } parameters)
        {
            foreach (var p in parameters)
            {
                if (p.Index >= 6) continue;
                kinds[p.Index] = Signed32.Contains(p.Type) ? ArgumentKind.Signed32 : Unsigned32.Contains(p.Type) ? ArgumentKind.Unsigned32 : ArgumentKind.Full64;
            }
        }
        return kinds.ToImmutableArray();
    }

    private static PlanExpr And(PlanExpr? left, PlanExpr right)
        => left is null ? right : new BinaryPlanExpr(BinaryOp.And, left, right, PhbType.Bool);

    private static PlanAction LowerAction(ActionNode action, SemanticModel model) => action switch
    {
        ReturnAction r when model.Info(r.Value).Constant is { Type: PhbType.Errno } v => new ReturnErrnoAction(v.Text!, (int)v.Int),
        ReturnAction r => new ReturnValueAction(model.Info(r.Value).Constant!.Value.Int),
        DelayAction d => new DelayPlanAction(TimeSpan.FromTicks(model.Info(d.Duration).Constant!.Value.Int / 100), model.Info(d.Duration).Constant!.Value.Int),
        SignalAction s => new SignalPlanAction(SignalCatalog.Lookup(s.Signal.Text)!.Name, SignalCatalog.Lookup(s.Signal.Text)!.Number),
        LogAction l => new LogPlanAction(model.Info(l.Message).Constant!.Value.Text ?? ""),
        _ => throw new InvalidOperationException($"unplanned action {action.GetType().Name}"),
    };

    private static PlanExpr Lower(ExprNode e, SemanticModel model)
    {
        var info = model.Info(e);
        if (info.Constant is { } c) return new ConstPlanExpr(c);
        return e switch
        {
            ParenExpr p => Lower(p.Inner, model),
            NameExpr n => new VarPlanExpr(model.BuiltinOf(n) ?? throw new InvalidOperationException($"unresolved name {n.FullName}"), info.Type),
            CallExpr call => new ChancePlanExpr(Lower(call.Arguments[0], model)),
            UnaryExpr u => new UnaryPlanExpr(u.Op, Lower(u.Operand, model), info.Type),
            BinaryExpr { Op: BinaryOp.GlobMatch or BinaryOp.RegexMatch } m =>
                new MatchPlanExpr(Lower(m.Left, model), model.Info(m.Right).Constant!.Value.Text!, m.Op == BinaryOp.RegexMatch),
            BinaryExpr b => new BinaryPlanExpr(b.Op, Lower(b.Left, model), Lower(b.Right, model), info.Type),
            _ => throw new InvalidOperationException($"unplanned expression {e.GetType().Name}"),
        };
    }

    private static ImmutableArray<BackendChoice> ChooseBackends(Phase phase, ImmutableArray<SyscallRef> syscalls,
        ImmutableArray<FunctionRef> functions, PlanExpr? filter, PlanExpr? control, ImmutableArray<PlanAction> actions)
    {
        var list = ImmutableArray.CreateBuilder<BackendChoice>();
        if (syscalls.IsEmpty)
        {
            if (!functions.IsEmpty) list.Add(new BackendChoice(Backend.Preload, "library functions are interposed with LD_PRELOAD (not implemented yet)"));
            return list.ToImmutable();
        }
        if (phase == Phase.Entry)
        {
            bool onlyErrno = actions.Length == 1 && actions[0] is ReturnErrnoAction;
            if (onlyErrno && control is null && (filter is null || IsSeccompArgFilter(filter)))
            {
                list.Add(new BackendChoice(Backend.SeccompErrno, filter is null
                    ? "an unconditional ENTRY failure: the kernel's seccomp filter returns the errno, no stop"
                    : "an ENTRY failure filtered on argument values only: compiled into the seccomp filter, no stop"));
            }
            list.Add(new BackendChoice(Backend.SeccompNotify, "an ENTRY rule: a seccomp user-notification supervisor decides each call (~3x cheaper than a ptrace stop)"));
        }
        list.Add(new BackendChoice(Backend.Ptrace, phase == Phase.Exit
            ? "an EXIT rule needs the syscall's natural result: a ptrace stop at exit, only for the rule's syscalls"
            : "ptrace syscall stops at entry, only for the rule's syscalls (used when attaching)"));
        if (functions.Length > 0) list.Add(new BackendChoice(Backend.Preload, "library functions are interposed with LD_PRELOAD (not implemented yet)"));
        return list.ToImmutable();
    }

    /// <summary>True when a filter is a conjunction of <c>argN op constant</c> comparisons (seccomp BPF can test those).</summary>
    private static bool IsSeccompArgFilter(PlanExpr filter) => filter switch
    {
        BinaryPlanExpr { Op: BinaryOp.And } and => IsSeccompArgFilter(and.Left) && IsSeccompArgFilter(and.Right),
        BinaryPlanExpr { Op: BinaryOp.Equal or BinaryOp.NotEqual or BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual } cmp
            => (IsArg(cmp.Left) && IsIntConst(cmp.Right)) || (IsIntConst(cmp.Left) && IsArg(cmp.Right)),
        _ => false,
    };

    private static bool IsArg(PlanExpr e) => e is VarPlanExpr { Var: >= Builtin.Arg0 and <= Builtin.Arg5 };

    private static bool IsIntConst(PlanExpr e) => e is ConstPlanExpr { Value.Type: PhbType.Int };
}
