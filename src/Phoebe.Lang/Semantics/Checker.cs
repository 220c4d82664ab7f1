using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using D = Phoebe.Lang.Diagnostics.DiagnosticCatalog;

namespace Phoebe.Lang.Semantics;

/// <summary>
/// Checks names, types and values of parsed files and classifies conditions into
/// per-call and control terms. Reports into a bag and records facts in a
/// <see cref="SemanticModel"/>; never throws for user errors.
/// </summary>
public sealed class Checker
{
    /// <summary>Libraries a <c>function@library</c> target may name.</summary>
    public static readonly IReadOnlyList<string> KnownLibraries = ["libc", "libm", "libpthread", "libdl", "librt", "libresolv"];

    private readonly DiagnosticBag bag;
    private readonly SemanticModel model;
    private readonly Dictionary<string, (Identifier Name, SourceText Source)> ruleNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Identifier Name, SourceText Source)> healthNames = new(StringComparer.Ordinal);

    /// <summary>Creates a checker that reports into <paramref name="bag"/>.</summary>
    public Checker(DiagnosticBag bag, SemanticModel model)
    {
        this.bag = bag;
        this.model = model;
    }

    /// <summary>Checks files of one compilation, in order (imported files first).</summary>
    public void Check(IEnumerable<PhbFile> files)
    {
        foreach (var file in files)
        {
            foreach (var item in file.Items)
            {
                switch (item)
                {
                    case RuleDecl rule: CheckRule(rule, file.Source); break;
                    case HealthDecl health: CheckHealth(health, file.Source); break;
                }
            }
        }
    }

    // ------------------------------------------------------------------ rules

    private sealed class RuleScope
    {
        public required SourceText Source { get; init; }
        /// <summary>The rule being checked; null for a health check's options.</summary>
        public required RuleDecl? Rule { get; init; }
        public required ImmutableArray<SyscallInfo> Syscalls { get; init; }
        public bool HasFunctions { get; init; }
        public string? ReturnErrno { get; set; }
        public bool InChanceArgument { get; set; }
    }

    private void CheckRule(RuleDecl rule, SourceText src)
    {
        CheckDuplicate(ruleNames, rule.Name, src, "rule");
        var (syscalls, functions) = ResolveTargets(rule, src);
        var scope = new RuleScope { Source = src, Rule = rule, Syscalls = syscalls, HasFunctions = functions.Length > 0 };

        CheckActions(rule, scope);
        if (rule.Condition is { } cond)
        {
            var info = Bind(cond, scope);
            if (info.Type != PhbType.Error && info.Type != PhbType.Bool)
            {
                bag.Report(D.ConditionNotBool, src, cond.Span, $"the condition of rule `{rule.Name.Text}` is {info.Type.WithArticle()}, not a bool",
                    info.Type.IsNumeric() ? "compare it with something, e.g. `arg0 == 3`" : "a condition must be true or false");
            }
            else if (info.Type == PhbType.Bool)
            {
                ClassifyCondition(cond, src);
                if (info.Constant is { Bool: false })
                {
                    bag.Report(D.NeverMatches, src, cond.Span, $"the condition is always false: rule `{rule.Name.Text}` never acts");
                }
            }
        }
        model.Rules.Add(new CheckedRule(rule, src, syscalls, functions));
    }

    private (ImmutableArray<SyscallInfo>, ImmutableArray<FunctionTarget>) ResolveTargets(RuleDecl rule, SourceText src)
    {
        var syscalls = new List<SyscallInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var functions = ImmutableArray.CreateBuilder<FunctionTarget>();
        foreach (var target in rule.Targets)
        {
            switch (target)
            {
                case SyscallTarget s:
                {
                    var info = SyscallTable.Lookup(s.Name.Text);
                    if (info is null)
                    {
                        ReportUnknown(D.UnknownSyscall, src, s.Name, "syscall", SyscallTable.All.Select(x => x.Name),
                            s.Name.Text.Any(char.IsUpper) ? "syscall names are lower case" : null);
                        break;
                    }
                    if (!seen.Add(info.Name))
                    {
                        bag.Report(D.DuplicateTarget, src, s.Name.Span, $"`{info.Name}` is already a target of this rule");
                        break;
                    }
                    syscalls.Add(info);
                    break;
                }
                case ClassTarget c:
                {
                    var members = SyscallTable.Class(c.Name.Text);
                    if (members is null)
                    {
                        string? closest = Suggestions.Closest(c.Name.Text, SyscallTable.ClassNames);
                        var hints = new List<string>();
                        if (closest != null) hints.Add($"did you mean `%{closest}`?");
                        hints.Add("classes: " + string.Join(", ", SyscallTable.ClassNames.Select(n => "%" + n)));
                        bag.Report(D.UnknownClass, src, c.Span, $"unknown syscall class `%{c.Name.Text}`", hints.ToArray());
                        break;
                    }
                    foreach (var m in members)
                    {
                        if (seen.Add(m.Name)) syscalls.Add(m);
                    }
                    break;
                }
                case FunctionTarget f:
                {
                    if (!KnownLibraries.Contains(f.Library.Text))
                    {
                        ReportUnknown(D.UnknownLibrary, src, f.Library, "library", KnownLibraries,
                            "libraries: " + string.Join(", ", KnownLibraries));
                        break;
                    }
                    functions.Add(f);
                    bag.Report(D.FunctionNotInjectable, src, f.Span,
                        $"`{f.Function.Text}@{f.Library.Text}` is checked, but library functions cannot be injected yet",
                        "inject the syscalls the function makes instead, e.g. `ON mmap, brk` for malloc");
                    break;
                }
            }
        }
        return (syscalls.ToImmutableArray(), functions.ToImmutable());
    }

    private void CheckActions(RuleDecl rule, RuleScope scope)
    {
        var src = scope.Source;
        for (int i = 0; i < rule.Actions.Length; i++)
        {
            var action = rule.Actions[i];
            switch (action)
            {
                case ReturnAction ret:
                    if (i < rule.Actions.Length - 1)
                    {
                        var next = rule.Actions[i + 1];
                        bag.Report(D.ReturnNotLast, src, ret.Span, "`return` must be the last action: the actions after it never run",
                            new DiagnosticLabel(src, next.Span, "this action comes after `return`"),
                            "move `return` to the end of the DO list");
                    }
                    CheckReturn(ret, scope);
                    break;
                case DelayAction delay:
                {
                    var info = Bind(delay.Duration, scope);
                    if (info.Type == PhbType.Error) break;
                    if (info.Type != PhbType.Duration)
                    {
                        bag.Report(D.TypeMismatch, src, delay.Duration.Span, $"`delay` needs a duration, found {info.Type.WithArticle()}",
                            info.Type.IsNumeric() ? "add a unit, e.g. `delay 10ms`" : "write e.g. `delay 10ms`");
                    }
                    else if (info.Constant is not { } v)
                    {
                        ReportNotConstant(delay.Duration, src, "a delay");
                    }
                    else if (v.Int < 0)
                    {
                        bag.Report(D.NegativeDelay, src, delay.Duration.Span, $"delay is negative ({Value.FormatDuration(v.Int)})",
                            "a delay must be zero or more");
                    }
                    break;
                }
                case SignalAction sig:
                    if (SignalCatalog.Lookup(sig.Signal.Text) is null)
                    {
                        string? prefixed = SignalCatalog.Lookup("SIG" + sig.Signal.Text.ToUpperInvariant())?.Name;
                        ReportUnknown(D.UnknownSignal, src, sig.Signal, "signal", SignalCatalog.All.Select(s => s.Name),
                            null, prefixed);
                    }
                    break;
                case LogAction log:
                    Bind(log.Message, scope);
                    break;
            }
        }
    }

    private void CheckReturn(ReturnAction ret, RuleScope scope)
    {
        var src = scope.Source;
        // A bare name after `return` is an errno: report it as one, with errno suggestions.
        if (ret.Value is NameExpr { Parts.Length: 1 } n && ErrnoCatalog.Lookup(n.Parts[0].Text) is null && Builtins.Lookup(n.FullName) is null)
        {
            ReportUnknown(D.UnknownErrno, src, n.Parts[0], "errno", ErrnoCatalog.All.Select(e => e.Name),
                n.Parts[0].Text.StartsWith('E') ? null : "errno names start with `E`, e.g. `ENOENT`");
            model.Record(n, ExprInfo.Error);
            return;
        }
        var info = Bind(ret.Value, scope);
        if (info.Type == PhbType.Error) return;
        if (info.Type is not (PhbType.Errno or PhbType.Int))
        {
            bag.Report(D.InvalidReturn, src, ret.Value.Span, $"`return` needs an errno or an integer, found {info.Type.WithArticle()}",
                "write e.g. `return ENOENT` (fail) or `return 0` (fake success)");
            return;
        }
        if (info.Constant is not { } v)
        {
            ReportNotConstant(ret.Value, src, "a return value");
            return;
        }
        if (v.Type == PhbType.Errno)
        {
            scope.ReturnErrno = v.Text;
            CheckRealism(v.Text!, scope);
        }
        else if (v.Int is >= -4095 and <= -1)
        {
            string? name = ErrnoCatalog.ByNumber((int)-v.Int)?.Name;
            bag.Report(D.ReturnLooksLikeErrno, src, ret.Value.Span,
                $"`return {v.Int}` fakes the raw result {v.Int}, which the program sees as an error",
                name != null ? $"to fail with an errno, write `return {name}`" : "to fail with an errno, write its name");
        }
    }

    private void CheckRealism(string errno, RuleScope scope)
    {
        var rule = scope.Rule!;
        foreach (var target in rule.Targets.OfType<SyscallTarget>())
        {
            var possible = SyscallErrors.For(target.Name.Text);
            // Compare numbers, not names: EWOULDBLOCK is EAGAIN, ENOTSUP is EOPNOTSUPP.
            int? number = ErrnoCatalog.Lookup(errno)?.Number;
            if (possible is null || possible.Any(p => ErrnoCatalog.Lookup(p)?.Number == number)) continue;
            var ret = rule.Actions.OfType<ReturnAction>().First();
            if (possible.Count == 0)
            {
                bag.Report(D.UnrealisticErrno, scope.Source, ret.Value.Span,
                    $"`{target.Name.Text}` never fails according to its man page, so no program handles {errno} from it",
                    "inject into syscalls that can fail, or fake a result with `return N`");
                continue;
            }
            string list = string.Join(", ", possible.Take(16)) + (possible.Count > 16 ? ", ..." : "");
            bag.Report(D.UnrealisticErrno, scope.Source, ret.Value.Span,
                $"`{target.Name.Text}` does not return {errno} according to its man page",
                new DiagnosticLabel(scope.Source, target.Span, $"`{target.Name.Text}` can return {list}"),
                "injecting errors a syscall never returns tests code paths that cannot happen");
        }
    }

    // ------------------------------------------------------------------ health checks

    private void CheckHealth(HealthDecl health, SourceText src)
    {
        CheckDuplicate(healthNames, health.Name, src, "health check");
        long? every = null, timeout = null;
        var scope = new RuleScope
        {
            Source = src,
            Rule = null,
            Syscalls = ImmutableArray<SyscallInfo>.Empty,
        };
        foreach (var option in health.Options)
        {
            string word = option.Kind == HealthOptionKind.Every ? "EVERY" : "TIMEOUT";
            if ((option.Kind == HealthOptionKind.Every ? every : timeout) is not null)
            {
                bag.Report(D.InvalidHealthOption, src, option.Span, $"`{word}` is given twice", "keep one");
                continue;
            }
            var info = BindConstantOnly(option.Value, scope);
            if (info.Type == PhbType.Error) continue;
            if (info.Type != PhbType.Duration || info.Constant is not { } v)
            {
                bag.Report(D.InvalidHealthOption, src, option.Value.Span, $"`{word}` needs a constant duration, found {info.Type.WithArticle()}",
                    $"write e.g. `{word} {(option.Kind == HealthOptionKind.Every ? "5s" : "1s")}`");
                continue;
            }
            if (v.Int <= 0)
            {
                bag.Report(D.InvalidHealthOption, src, option.Value.Span, $"`{word}` must be a positive duration");
                continue;
            }
            if (option.Kind == HealthOptionKind.Every) every = v.Int; else timeout = v.Int;
        }
        if (string.IsNullOrWhiteSpace(health.Body))
        {
            bag.Report(D.EmptyHealthCheck, src, health.Span, $"health check `{health.Name.Text}` has no C# body",
                "return a bool, e.g. `{ return Target.Alive; }`");
        }
        model.HealthChecks.Add(new CheckedHealth(health, src, every, timeout));
    }

    private ExprInfo BindConstantOnly(ExprNode expr, RuleScope scope)
    {
        var info = Bind(expr, scope);
        if (info.Type != PhbType.Error && info.Constant is null)
        {
            ReportNotConstant(expr, scope.Source, "this value");
            return ExprInfo.Error;
        }
        return info;
    }

    // ------------------------------------------------------------------ expressions

    private ExprInfo Bind(ExprNode expr, RuleScope scope) => model.Record(expr, expr switch
    {
        LiteralExpr lit => BindLiteral(lit, scope.Source),
        NameExpr name => BindName(name, scope),
        CallExpr call => BindCall(call, scope),
        ParenExpr paren => Bind(paren.Inner, scope),
        UnaryExpr unary => BindUnary(unary, scope),
        BinaryExpr binary => BindBinary(binary, scope),
        _ => ExprInfo.Error,
    });

    private ExprInfo BindLiteral(LiteralExpr lit, SourceText src)
    {
        Value? value = null;
        switch (lit.Kind)
        {
            case LiteralKind.Int or LiteralKind.Hex:
                if (LiteralDecoder.TryParseInteger(lit.Text, lit.Kind == LiteralKind.Hex, out long i)) value = Value.OfInt(i);
                else bag.Report(D.InvalidNumber, src, lit.Span, $"`{Short(lit.Text)}` does not fit in a 64-bit integer");
                break;
            case LiteralKind.Float:
                if (LiteralDecoder.TryParseFloat(lit.Text, out double f)) value = Value.OfFloat(f);
                else bag.Report(D.InvalidNumber, src, lit.Span, $"`{Short(lit.Text)}` is not a finite number");
                break;
            case LiteralKind.Duration:
                if (LiteralDecoder.TryParseDuration(lit.Text, out long ns)) value = Value.OfDuration(ns);
                else bag.Report(D.InvalidNumber, src, lit.Span, $"duration `{Short(lit.Text)}` is too long");
                break;
            case LiteralKind.Percentage:
                if (LiteralDecoder.TryParsePercentage(lit.Text, out double p)) value = Value.OfPercentage(p);
                else bag.Report(D.InvalidNumber, src, lit.Span, $"`{Short(lit.Text)}` is not a valid percentage");
                break;
            case LiteralKind.String or LiteralKind.RawString:
            {
                string s = LiteralDecoder.DecodeString(lit.Text, lit.Kind == LiteralKind.RawString, out int bad);
                if (bad >= 0)
                {
                    // bad is the escaped character's index in the content; the backslash is one before it, the quote one more.
                    bag.Report(D.InvalidEscape, src, new TextSpan(lit.Span.Start + bad, 2), $"unknown escape `\\{lit.Text[bad + 1]}`",
                        "escapes are \\n \\t \\r \\0 \\\\ \\\" \\' \\xHH; write regular expressions in raw strings: '\\d+'");
                }
                value = Value.OfString(s);
                break;
            }
            case LiteralKind.Bool:
                value = Value.OfBool(lit.Text == "true");
                break;
        }
        return value is { } v ? new ExprInfo(v.Type, v, TermKind.Constant) : ExprInfo.Error;
    }

    private ExprInfo BindName(NameExpr name, RuleScope scope)
    {
        var src = scope.Source;
        string full = name.FullName;
        if (Builtins.Lookup(full) is { } b)
        {
            if (!CheckBuiltinAvailable(name, b, scope)) return ExprInfo.Error;
            model.RecordBuiltin(name, b.Id);
            return new ExprInfo(b.Type, null, b.Kind);
        }
        if (name.Parts.Length == 1)
        {
            string text = name.Parts[0].Text;
            if (ErrnoCatalog.Lookup(text) is { } e) return Const(Value.OfErrno(e.Name, e.Number));
            if (SignalCatalog.Lookup(text) is { } s) return Const(Value.OfSignal(s.Name, s.Number));
            if (text == "observed")
            {
                bag.Report(D.UnknownName, src, name.Span, "`observed` needs a field",
                    "use observed.min, observed.mean, observed.max, observed.var or observed.count");
                return ExprInfo.Error;
            }
        }
        if (name.Parts.Length == 2 && name.Parts[0].Text == "observed")
        {
            string? field = Suggestions.Closest(name.Parts[1].Text, ["min", "mean", "max", "var", "count"]);
            bag.Report(D.UnknownName, src, name.Parts[1].Span, $"`observed` has no field `{Short(name.Parts[1].Text)}`",
                field != null ? [$"did you mean `observed.{field}`?", "fields: min, mean, max, var, count"] : ["fields: min, mean, max, var, count"]);
            return ExprInfo.Error;
        }
        var candidates = Builtins.All.Select(x => x.Name);
        if (full.Length > 1 && full[0] == 'E' && full.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c)))
        {
            ReportUnknown(D.UnknownErrno, src, name.Parts[0], "errno", ErrnoCatalog.All.Select(x => x.Name), null);
            return ExprInfo.Error;
        }
        if (full.StartsWith("SIG", StringComparison.Ordinal))
        {
            ReportUnknown(D.UnknownSignal, src, name.Parts[0], "signal", SignalCatalog.All.Select(x => x.Name), null);
            return ExprInfo.Error;
        }
        var span = name.Span;
        string? closest = Suggestions.Closest(full, candidates);
        var hints = new List<string>();
        if (closest != null) hints.Add($"did you mean `{closest}`?");
        hints.Add("names: arg0..arg5, fd, path, pid, tid, comm, retval, call, injected, elapsed, rate, observed.*");
        bag.Report(D.UnknownName, src, span, $"unknown name `{Short(full)}`", hints.ToArray());
        return ExprInfo.Error;

        ExprInfo Const(Value v) => new(v.Type, v, TermKind.Constant);
    }

    private bool CheckBuiltinAvailable(NameExpr name, BuiltinInfo b, RuleScope scope)
    {
        var src = scope.Source;
        if (scope.Rule is not { } rule)
        {
            bag.Report(D.NotConstant, src, name.Span, $"`{b.Name}` has no value here", "use a constant");
            return false;
        }
        if (b.Id == Builtin.Retval && rule.Phase == Phase.Entry)
        {
            bag.Report(D.RetvalAtEntry, src, name.Span, "`retval` is not known at ENTRY: the syscall has not run yet",
                "make it an EXIT rule: `ON ... EXIT IF retval ...`");
            return false;
        }
        if (scope.HasFunctions && b.Id is Builtin.Fd or Builtin.Path or Builtin.Rate or Builtin.ObservedMin or Builtin.ObservedMean
                or Builtin.ObservedMax or Builtin.ObservedVar or Builtin.ObservedCount)
        {
            bag.Report(D.NotForFunctions, src, name.Span, $"`{b.Name}` is not available in rules on library functions",
                "use arg0..arg5, retval, call, chance() or pid/tid/comm");
            return false;
        }
        if (b.Id is Builtin.Fd or Builtin.Path)
        {
            foreach (var sc in scope.Syscalls)
            {
                bool hasFd = SyscallArguments.FdIndex(sc.Name) is not null;
                bool ok = b.Id == Builtin.Fd ? hasFd : hasFd || SyscallArguments.PathIndex(sc.Name) is not null;
                if (!ok)
                {
                    string what = b.Id == Builtin.Fd ? "a file descriptor it operates on" : "a path or a file descriptor";
                    string hint = b.Id == Builtin.Fd && SyscallArguments.PathIndex(sc.Name) is not null
                        ? $"`{sc.Name}` names a file by path: test `path` instead"
                        : "test an argument instead: arg0..arg5";
                    bag.Report(D.NameNotAvailable, src, name.Span, $"`{b.Name}` needs a syscall that takes {what}; `{sc.Name}` does not", hint);
                    return false;
                }
            }
        }
        if (b.Id is Builtin.Rate or >= Builtin.ObservedMin)
        {
            // Checked once the actions are known: the errno comes from `return`.
            if (scope.ReturnErrno is null)
            {
                bag.Report(D.RateWithoutErrno, src, name.Span,
                    $"`{b.Name}` is measured per (syscall, errno), but rule `{rule.Name.Text}` does not return an errno",
                    "add `return ERRNO` to the actions, e.g. `DO return ETIMEDOUT`");
                return false;
            }
        }
        if (scope.InChanceArgument && b.Kind == TermKind.PerCall)
        {
            bag.Report(D.PerCallProbability, src, name.Span,
                $"the probability of `chance` cannot depend on `{b.Name}`, which changes at every call",
                "a probability may use constants and control terms (rate, observed.*, elapsed); test per-call terms with `&&`");
            return false;
        }
        return true;
    }

    private ExprInfo BindCall(CallExpr call, RuleScope scope)
    {
        var src = scope.Source;
        if (call.Function.Text != "chance")
        {
            ReportUnknown(D.UnknownFunction, src, call.Function, "function", ["chance"], "functions: chance(p)");
            foreach (var a in call.Arguments) Bind(a, scope);
            return ExprInfo.Error;
        }
        if (call.Arguments.Length != 1)
        {
            bag.Report(D.ArgumentCount, src, call.Span, $"`chance` takes 1 argument (a probability), found {call.Arguments.Length}",
                "write e.g. `chance(5%)` or `chance(0.05)`");
            return ExprInfo.Error;
        }
        bool outer = scope.InChanceArgument;
        scope.InChanceArgument = true;
        var arg = Bind(call.Arguments[0], scope);
        scope.InChanceArgument = outer;
        if (arg.Type == PhbType.Error) return ExprInfo.Error;
        if (!arg.Type.IsNumeric())
        {
            bag.Report(D.TypeMismatch, src, call.Arguments[0].Span, $"`chance` needs a probability, found {arg.Type.WithArticle()}",
                "write e.g. `chance(5%)` or `chance(0.05)`");
            return ExprInfo.Error;
        }
        if (arg.Constant is { } p && (p.AsDouble < 0 || p.AsDouble > 1 || double.IsNaN(p.AsDouble)))
        {
            bag.Report(D.ProbabilityRange, src, call.Arguments[0].Span, $"probability {p} is outside [0, 1]",
                p.Type == PhbType.Int || p.AsDouble > 1 ? "write a fraction (0.05) or a percentage (5%)" : "a probability is between 0 and 1");
            return ExprInfo.Error;
        }
        return new ExprInfo(PhbType.Bool, null, TermKind.PerCall);
    }

    private ExprInfo BindUnary(UnaryExpr unary, RuleScope scope)
    {
        var operand = Bind(unary.Operand, scope);
        if (operand.Type == PhbType.Error) return ExprInfo.Error;
        if (unary.Op == UnaryOp.Not)
        {
            if (operand.Type != PhbType.Bool) return Mismatch(unary, scope, $"`{unary.OpText}` needs a bool, found {operand.Type.WithArticle()}");
            return new ExprInfo(PhbType.Bool, operand.Constant is { } c ? Value.OfBool(!c.Bool) : null, operand.Kind);
        }
        Value? folded = operand.Constant is { } v ? v.Type switch
        {
            PhbType.Int => Value.OfInt(unchecked(-v.Int)),
            PhbType.Float => Value.OfFloat(-v.Float),
            PhbType.Percentage => Value.OfPercentage(-v.Float),
            PhbType.Duration => Value.OfDuration(-v.Int),
            PhbType.Errno => Value.OfInt(-v.Int),
            _ => null,
        } : null;
        return operand.Type switch
        {
            PhbType.Int or PhbType.Float or PhbType.Percentage or PhbType.Duration => new ExprInfo(operand.Type, folded, operand.Kind),
            // -ENOENT is the raw result a failing syscall returns: compare with retval.
            PhbType.Errno => new ExprInfo(PhbType.Int, folded, operand.Kind),
            _ => Mismatch(unary, scope, $"`-` needs a number, found {operand.Type.WithArticle()}"),
        };
    }

    private ExprInfo BindBinary(BinaryExpr bin, RuleScope scope)
    {
        var l = Bind(bin.Left, scope);
        var r = Bind(bin.Right, scope);
        if (l.Type == PhbType.Error || r.Type == PhbType.Error) return ExprInfo.Error;
        var kind = l.Kind | r.Kind;
        string op = bin.OpText;
        PhbType lt = l.Type, rt = r.Type;

        switch (bin.Op)
        {
            case BinaryOp.And or BinaryOp.Or:
            {
                if (lt != PhbType.Bool || rt != PhbType.Bool)
                    return Mismatch(bin, scope, $"`{op}` needs bools, found {lt.Name()} and {rt.Name()}");
                Value? folded = null;
                bool isAnd = bin.Op == BinaryOp.And;
                if (l.Constant is { } lc && r.Constant is { } rc) folded = Value.OfBool(isAnd ? lc.Bool && rc.Bool : lc.Bool || rc.Bool);
                else if (l.Constant is { } only1 && only1.Bool != isAnd) folded = only1;
                else if (r.Constant is { } only2 && only2.Bool != isAnd) folded = only2;
                return new ExprInfo(PhbType.Bool, folded, folded is null ? kind : TermKind.Constant);
            }
            case BinaryOp.GlobMatch or BinaryOp.RegexMatch:
            {
                if (lt != PhbType.String || rt != PhbType.String)
                    return Mismatch(bin, scope, $"`{op}` matches a string against a pattern string, found {lt.Name()} and {rt.Name()}");
                if (r.Constant is not { } pattern)
                {
                    ReportNotConstant(bin.Right, scope.Source, "a pattern");
                    return ExprInfo.Error;
                }
                if (bin.Op == BinaryOp.RegexMatch && !IsValidRegex(pattern.Text!, out string? why))
                {
                    bag.Report(D.InvalidRegex, scope.Source, bin.Right.Span, $"invalid regular expression: {why}",
                        "write regular expressions in raw strings to avoid double escaping: '\\d+'");
                    return ExprInfo.Error;
                }
                Value? folded = l.Constant is { } s
                    ? Value.OfBool(bin.Op == BinaryOp.GlobMatch ? Glob.IsMatch(pattern.Text!, s.Text!) : Regex.IsMatch(s.Text!, pattern.Text!, RegexOptions.None, TimeSpan.FromSeconds(1)))
                    : null;
                return new ExprInfo(PhbType.Bool, folded, l.Kind);
            }
            case BinaryOp.Equal or BinaryOp.NotEqual:
            {
                bool comparable = (lt.IsNumeric() && rt.IsNumeric()) || lt == rt;
                if (!comparable)
                {
                    string hint = (lt, rt) switch
                    {
                        (PhbType.Int, PhbType.Errno) or (PhbType.Errno, PhbType.Int) => "a failing call returns minus the errno: `retval == -ENOENT`",
                        (PhbType.Duration, _) or (_, PhbType.Duration) => "give the number a unit, e.g. `10ms`",
                        _ => "",
                    };
                    return Mismatch(bin, scope, $"cannot compare {lt.Name()} with {rt.Name()} using `{op}`", hint);
                }
                Value? folded = l.Constant is { } a && r.Constant is { } b ? Value.OfBool(ValuesEqual(a, b) == (bin.Op == BinaryOp.Equal)) : null;
                return new ExprInfo(PhbType.Bool, folded, kind);
            }
            case BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual:
            {
                bool ordered = (lt.IsNumeric() && rt.IsNumeric()) || (lt == PhbType.Duration && rt == PhbType.Duration);
                if (!ordered)
                {
                    string hint = lt == PhbType.Duration || rt == PhbType.Duration ? "compare durations with durations: `elapsed > 10s`" : "";
                    return Mismatch(bin, scope, $"cannot order {lt.Name()} and {rt.Name()} with `{op}`", hint);
                }
                Value? folded = null;
                if (l.Constant is { } a && r.Constant is { } b)
                {
                    int cmp = Compare(a, b);
                    folded = Value.OfBool(bin.Op switch
                    {
                        BinaryOp.Less => cmp < 0,
                        BinaryOp.LessOrEqual => cmp <= 0,
                        BinaryOp.Greater => cmp > 0,
                        _ => cmp >= 0,
                    });
                }
                return new ExprInfo(PhbType.Bool, folded, kind);
            }
            default:
                return BindArithmetic(bin, scope, l, r, kind);
        }
    }

    private ExprInfo BindArithmetic(BinaryExpr bin, RuleScope scope, ExprInfo l, ExprInfo r, TermKind kind)
    {
        PhbType lt = l.Type, rt = r.Type;
        PhbType? result = (bin.Op, lt, rt) switch
        {
            (_, PhbType.Int, PhbType.Int) => PhbType.Int,
            (BinaryOp.Modulo, _, _) => null,
            (BinaryOp.Add or BinaryOp.Subtract, PhbType.Duration, PhbType.Duration) => PhbType.Duration,
            (BinaryOp.Divide, PhbType.Duration, PhbType.Duration) => PhbType.Float,
            (BinaryOp.Multiply, PhbType.Duration, _) when rt.IsNumeric() => PhbType.Duration,
            (BinaryOp.Multiply, _, PhbType.Duration) when lt.IsNumeric() => PhbType.Duration,
            (BinaryOp.Divide, PhbType.Duration, _) when rt.IsNumeric() => PhbType.Duration,
            (BinaryOp.Add or BinaryOp.Subtract, PhbType.Percentage, PhbType.Percentage) => PhbType.Percentage,
            _ when lt.IsNumeric() && rt.IsNumeric() => PhbType.Float,
            _ => null,
        };
        if (result is not { } type)
        {
            string hint = bin.Op == BinaryOp.Modulo ? "`mod` takes two integers, e.g. `call mod 10 == 0`"
                : (lt == PhbType.Duration || rt == PhbType.Duration) ? "durations add to durations and scale by numbers: `2 * 10ms`" : "";
            return Mismatch(bin, scope, $"`{bin.OpText}` cannot combine {lt.Name()} and {rt.Name()}", hint);
        }
        Value? folded = null;
        if (l.Constant is { } a && r.Constant is { } b)
        {
            bool divides = bin.Op is BinaryOp.Divide or BinaryOp.Modulo;
            if (divides && b.AsDouble == 0)
            {
                bag.Report(D.DivisionByZero, scope.Source, bin.Right.Span, "division by zero");
                return ExprInfo.Error;
            }
            folded = type switch
            {
                PhbType.Int => Value.OfInt(unchecked(bin.Op switch
                {
                    BinaryOp.Add => a.Int + b.Int,
                    BinaryOp.Subtract => a.Int - b.Int,
                    BinaryOp.Multiply => a.Int * b.Int,
                    BinaryOp.Modulo => b.Int == -1 ? 0 : a.Int % b.Int,
                    _ => b.Int == -1 ? -a.Int : a.Int / b.Int,
                })),
                PhbType.Duration => Value.OfDuration((long)Math.Clamp(Arith(bin.Op, a.AsDouble, b.AsDouble), long.MinValue / 2, long.MaxValue / 2)),
                PhbType.Percentage => Value.OfPercentage(Arith(bin.Op, a.Float, b.Float)),
                _ => Value.OfFloat(Arith(bin.Op, a.AsDouble, b.AsDouble)),
            };
        }
        return new ExprInfo(type, folded, kind);
    }

    private static double Arith(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Subtract => a - b,
        BinaryOp.Multiply => a * b,
        _ => a / b,
    };

    private static bool ValuesEqual(Value a, Value b) => a.Type switch
    {
        // Two ints compare exactly (as the runtime and seccomp do), not through doubles.
        PhbType.Int when b.Type == PhbType.Int => a.Int == b.Int,
        _ when a.Type.IsNumeric() && b.Type.IsNumeric() => a.AsDouble == b.AsDouble,
        PhbType.String => a.Text == b.Text,
        PhbType.Bool => a.Bool == b.Bool,
        _ => a.Int == b.Int,
    };

    private static int Compare(Value a, Value b) => (a.Type, b.Type) switch
    {
        (PhbType.Duration, _) or (PhbType.Int, PhbType.Int) => a.Int.CompareTo(b.Int),
        _ => a.AsDouble.CompareTo(b.AsDouble),
    };

    private static bool IsValidRegex(string pattern, out string? why)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            why = null;
            return true;
        }
        catch (ArgumentException e)
        {
            why = e.Message.Split(" - ", 2) is { Length: 2 } parts ? parts[1] : e.Message;
            return false;
        }
    }

    // ------------------------------------------------------------------ classification

    /// <summary>
    /// Splits a condition into top-level conjuncts. Each must be constant, per-call
    /// or control; a conjunct mixing both kinds cannot be evaluated: control terms
    /// are decided once per tick and gate the rule, per-call terms at each call.
    /// </summary>
    private void ClassifyCondition(ExprNode cond, SourceText src)
    {
        foreach (var conjunct in Conjuncts(cond))
        {
            var info = model.Info(conjunct);
            if (info.Kind != (TermKind.PerCall | TermKind.Control)) continue;
            var perCall = FirstTerm(conjunct, TermKind.PerCall);
            var control = FirstTerm(conjunct, TermKind.Control);
            string joiner = DescribeJoin(conjunct);
            bag.Add(new Diagnostic(D.MixedCondition, src, conjunct.Span,
                $"this condition mixes the per-call term {Describe(perCall)} with the control term {Describe(control)} in {joiner}",
                control is null ? ImmutableArray<DiagnosticLabel>.Empty
                    : ImmutableArray.Create(new DiagnosticLabel(src, control.Span, "a control term is decided once per tick, not at each call")),
                ImmutableArray.Create(
                    "control terms (rate, observed.*, elapsed) gate the whole rule; per-call terms (args, path, pid, call, chance, ...) filter each call",
                    "join the two kinds only with a top-level `&&`, e.g. `IF rate < observed.max && chance(0.5)`")));
        }
    }

    private static string DescribeJoin(ExprNode node) => node switch
    {
        BinaryExpr b => $"one `{b.OpText}`",
        UnaryExpr u => $"one `{u.OpText}`",
        _ => "one expression",
    };

    private static string Describe(ExprNode? node) => node switch
    {
        NameExpr n => $"`{n.FullName}`",
        CallExpr c => $"`{c.Function.Text}(...)`",
        _ => "(unknown)",
    };

    /// <summary>The top-level conjuncts of a condition, looking through parentheses.</summary>
    public static IEnumerable<ExprNode> Conjuncts(ExprNode cond)
    {
        var stack = new Stack<ExprNode>();
        stack.Push(cond);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            switch (e)
            {
                case ParenExpr p: stack.Push(p.Inner); break;
                case BinaryExpr { Op: BinaryOp.And } b: stack.Push(b.Right); stack.Push(b.Left); break;
                default: yield return e; break;
            }
        }
    }

    private ExprNode? FirstTerm(ExprNode node, TermKind kind)
    {
        var stack = new Stack<ExprNode>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            switch (e)
            {
                case NameExpr n when model.Info(n).Kind == kind: return n;
                case CallExpr c when kind == TermKind.PerCall: return c;
                case CallExpr c: foreach (var a in c.Arguments) stack.Push(a); break;
                case ParenExpr p: stack.Push(p.Inner); break;
                case UnaryExpr u: stack.Push(u.Operand); break;
                case BinaryExpr b: stack.Push(b.Right); stack.Push(b.Left); break;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ helpers

    private ExprInfo Mismatch(ExprNode node, RuleScope scope, string message, string hint = "")
    {
        if (hint.Length > 0) bag.Report(D.TypeMismatch, scope.Source, node.Span, message, hint);
        else bag.Report(D.TypeMismatch, scope.Source, node.Span, message);
        return ExprInfo.Error;
    }

    private void ReportNotConstant(ExprNode node, SourceText src, string what)
        => bag.Report(D.NotConstant, src, node.Span, $"{what} must be known when the rules are checked",
            "use literals and constant arithmetic here; conditions belong after IF");

    private void CheckDuplicate(Dictionary<string, (Identifier Name, SourceText Source)> names, Identifier name, SourceText src, string what)
    {
        if (names.TryGetValue(name.Text, out var first))
        {
            bag.Report(D.DuplicateName, src, name.Span, $"there is already a {what} named `{name.Text}`",
                new DiagnosticLabel(first.Source, first.Name.Span, $"`{name.Text}` is first defined here"),
                $"rename one of them: {what} names must be unique across imported files");
            return;
        }
        names[name.Text] = (name, src);
    }

    private void ReportUnknown(DiagnosticDescriptor descriptor, SourceText src, Identifier name, string what,
        IEnumerable<string> candidates, string? extraHint, string? preferred = null)
    {
        var hints = new List<string>();
        string? closest = preferred ?? Suggestions.Closest(name.Text, candidates);
        if (closest != null) hints.Add($"did you mean `{closest}`?");
        if (extraHint != null) hints.Add(extraHint);
        bag.Report(descriptor, src, name.Span, $"unknown {what} `{Short(name.Text)}`", hints.ToArray());
    }

    private static string Short(string s) => s.Length > 40 ? s[..40] + "..." : s;
}
