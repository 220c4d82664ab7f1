using System.Text.RegularExpressions;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Semantics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// Evaluates a rule's per-call filter and control condition, as the checker types and
/// folds them: int arithmetic wraps, int <c>/</c> truncates toward zero, <c>mod</c> is the
/// remainder of <c>/</c>; ints mixed with floats or percentages give floats; durations
/// are nanoseconds; numbers compare by value (two ints exactly, as the seccomp backend does),
/// durations, errnos and signals by number, strings ordinally.
/// </summary>
/// <remarks>
/// <para>
/// A value that does not exist makes every comparison or match that involves it false,
/// <c>!=</c> included (so <c>!(path ~ "/tmp/*")</c> is true): <c>path</c> or <c>fd</c>
/// when the call has none or it cannot be read, <c>retval</c> at ENTRY, and the result of
/// a division or <c>mod</c> by zero (or an arithmetic NaN). A rule never acts on what it
/// cannot see. Nothing throws for values; only a malformed plan does.
/// </para>
/// <para>
/// <c>&amp;&amp;</c> and <c>||</c> short-circuit, so a call's path is read, and a
/// <c>chance(p)</c> draws, only when reached. Each <c>chance(p)</c> reached consumes
/// exactly one draw whatever <c>p</c> is, and <c>p</c> is clamped to [0, 1]
/// (an undefined <c>p</c> counts as 0): the draw sequence depends only on which calls
/// reach the chance, which keeps a seeded run reproducible.
/// </para>
/// <para>
/// Runs at every traced syscall: evaluation allocates nothing once each regex pattern
/// has been compiled (once per pattern). Not thread-safe, like the <see cref="SeededRandom"/>
/// it draws from: use one evaluator per thread that decides injections.
/// </para>
/// </remarks>
public sealed class ConditionEvaluator
{
    /// <summary>How long one regex match may run; a match that times out counts as no match.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private readonly SeededRandom random;
    private readonly Dictionary<string, Regex> regexes = new(StringComparer.Ordinal);

    /// <summary>Creates an evaluator whose <c>chance(p)</c> draws from <paramref name="random"/>.</summary>
    public ConditionEvaluator(SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        this.random = random;
    }

    /// <summary>
    /// Evaluates a per-call filter (null means true). <c>chance(p)</c> draws from the random
    /// source; its probability may contain control terms, read from <paramref name="control"/>,
    /// which may be null when the filter has none.
    /// </summary>
    /// <exception cref="InvalidOperationException">The filter reads a control term and <paramref name="control"/> is null, or the plan is malformed.</exception>
    public bool Matches(PlanExpr? filter, ICallContext call, IControlContext? control = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        return filter is null || Test(filter, call, control);
    }

    /// <summary>Evaluates a control condition (null means true), once per tick.</summary>
    /// <exception cref="InvalidOperationException">The condition reads a per-call term, or the plan is malformed.</exception>
    public bool ControlHolds(PlanExpr? control, IControlContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return control is null || Test(control, null, context);
    }

    /// <summary>
    /// Compiles the regular expressions in <paramref name="expr"/> now, so that the first
    /// traced call that reaches them does not pay for it. Optional.
    /// </summary>
    public void Prepare(PlanExpr? expr)
    {
        switch (expr)
        {
            case MatchPlanExpr m:
                if (m.IsRegex) RegexFor(m.Pattern);
                Prepare(m.Subject);
                break;
            case BinaryPlanExpr b:
                Prepare(b.Left);
                Prepare(b.Right);
                break;
            case UnaryPlanExpr u: Prepare(u.Operand); break;
            case ChancePlanExpr c: Prepare(c.Probability); break;
        }
    }

    /// <summary>Number of compiled regex patterns (for tests).</summary>
    internal int CachedRegexCount => regexes.Count;

    // ------------------------------------------------------------------ bools

    private bool Test(PlanExpr e, ICallContext? call, IControlContext? control)
    {
        switch (e)
        {
            case BinaryPlanExpr b:
                switch (b.Op)
                {
                    case BinaryOp.And: return Test(b.Left, call, control) && Test(b.Right, call, control);
                    case BinaryOp.Or: return Test(b.Left, call, control) || Test(b.Right, call, control);
                    case BinaryOp.Equal or BinaryOp.NotEqual: return Equality(b, call, control);
                    case BinaryOp.Less or BinaryOp.LessOrEqual or BinaryOp.Greater or BinaryOp.GreaterOrEqual: return Order(b, call, control);
                }
                break;
            case MatchPlanExpr m: return Match(m, call, control);
            case ChancePlanExpr c: return random.Chance(Probability(c.Probability, call, control));
            case UnaryPlanExpr { Op: UnaryOp.Not } u: return !Test(u.Operand, call, control);
            case ConstPlanExpr { Value.Type: PhbType.Bool } k: return k.Value.Bool;
        }
        throw NotEvaluable(e, "a bool");
    }

    private bool Equality(BinaryPlanExpr b, ICallContext? call, IControlContext? control)
    {
        PhbType lt = b.Left.Type, rt = b.Right.Type;
        bool equal;
        if (lt == PhbType.Bool && rt == PhbType.Bool)
        {
            equal = Test(b.Left, call, control) == Test(b.Right, call, control);
        }
        else
        {
            var l = Eval(b.Left, call, control);
            if (!l.IsDefined) return false;
            var r = Eval(b.Right, call, control);
            if (!r.IsDefined) return false;
            if (lt == PhbType.Int && rt == PhbType.Int)
            {
                equal = l.Int == r.Int;
            }
            else if (lt.IsNumeric() && rt.IsNumeric())
            {
                double x = AsDouble(l, lt), y = AsDouble(r, rt);
                if (double.IsNaN(x) || double.IsNaN(y)) return false;
                equal = x == y;
            }
            else if (lt != rt)
            {
                throw NotEvaluable(b, "a comparison");
            }
            else
            {
                // Durations, errnos and signals by number; strings ordinally.
                equal = lt == PhbType.String ? string.Equals(l.Text, r.Text, StringComparison.Ordinal) : l.Int == r.Int;
            }
        }
        return equal == (b.Op == BinaryOp.Equal);
    }

    private bool Order(BinaryPlanExpr b, ICallContext? call, IControlContext? control)
    {
        PhbType lt = b.Left.Type, rt = b.Right.Type;
        var l = Eval(b.Left, call, control);
        if (!l.IsDefined) return false;
        var r = Eval(b.Right, call, control);
        if (!r.IsDefined) return false;
        int cmp;
        if ((lt == PhbType.Int && rt == PhbType.Int) || (lt == PhbType.Duration && rt == PhbType.Duration))
        {
            cmp = l.Int.CompareTo(r.Int);
        }
        else if (lt.IsNumeric() && rt.IsNumeric())
        {
            double x = AsDouble(l, lt), y = AsDouble(r, rt);
            if (double.IsNaN(x) || double.IsNaN(y)) return false;
            cmp = x.CompareTo(y);
        }
        else
        {
            throw NotEvaluable(b, "an ordering");
        }
        return b.Op switch
        {
            BinaryOp.Less => cmp < 0,
            BinaryOp.LessOrEqual => cmp <= 0,
            BinaryOp.Greater => cmp > 0,
            _ => cmp >= 0,
        };
    }

    private bool Match(MatchPlanExpr m, ICallContext? call, IControlContext? control)
    {
        var subject = Eval(m.Subject, call, control);
        if (subject.Text is not { } text) return false;
        return m.IsRegex ? RegexMatches(RegexFor(m.Pattern), text) : Glob.IsMatch(m.Pattern, text);
    }

    private static bool RegexMatches(Regex regex, string text)
    {
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pathological pattern must not stall the traced thread; not matching is the safe answer.
            return false;
        }
    }

    private Regex RegexFor(string pattern)
    {
        if (!regexes.TryGetValue(pattern, out var regex))
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled, RegexTimeout);
            regexes.Add(pattern, regex);
        }
        return regex;
    }

    private double Probability(PlanExpr p, ICallContext? call, IControlContext? control)
    {
        var value = Eval(p, call, control);
        // SeededRandom.Chance clamps to [0, 1] (NaN counts as 0) and still consumes its draw.
        return value.IsDefined ? AsDouble(value, p.Type) : 0;
    }

    // ------------------------------------------------------------------ values

    /// <summary>
    /// One evaluated non-bool value. Which field holds it follows the expression's static
    /// type, as in <see cref="Value"/>: int, duration (ns), errno, signal in <see cref="Int"/>;
    /// float and percentage (a fraction) in <see cref="Float"/>; string in <see cref="Text"/>.
    /// </summary>
    private readonly struct Scalar
    {
        public readonly long Int;
        public readonly double Float;
        public readonly string? Text;
        /// <summary>False for a value that does not exist (see the class remarks); default is undefined.</summary>
        public readonly bool IsDefined;

        private Scalar(long i, double f, string? text)
        {
            Int = i;
            Float = f;
            Text = text;
            IsDefined = true;
        }

        public static Scalar OfInt(long v) => new(v, 0, null);
        public static Scalar OfNullable(long? v) => v is { } x ? new(x, 0, null) : default;
        public static Scalar OfFloat(double v) => new(0, v, null);
        public static Scalar OfText(string? v) => v is null ? default : new(0, 0, v);
    }

    private static double AsDouble(in Scalar s, PhbType type) => type is PhbType.Float or PhbType.Percentage ? s.Float : s.Int;

    private Scalar Eval(PlanExpr e, ICallContext? call, IControlContext? control)
    {
        switch (e)
        {
            case VarPlanExpr v: return Read(v.Var, call, control);
            case ConstPlanExpr c: return Constant(c);
            case BinaryPlanExpr b: return Arithmetic(b, call, control);
            case UnaryPlanExpr { Op: UnaryOp.Negate } u: return Negate(u, call, control);
        }
        throw NotEvaluable(e, "a value");
    }

    private static Scalar Constant(ConstPlanExpr c)
    {
        var v = c.Value;
        return v.Type switch
        {
            PhbType.Int or PhbType.Duration or PhbType.Errno or PhbType.Signal => Scalar.OfInt(v.Int),
            PhbType.Float or PhbType.Percentage => Scalar.OfFloat(v.Float),
            PhbType.String => Scalar.OfText(v.Text),
            _ => throw NotEvaluable(c, "a value"),
        };
    }

    private static Scalar Read(Builtin var, ICallContext? call, IControlContext? control) => var switch
    {
        >= Builtin.Arg0 and <= Builtin.Arg5 => Scalar.OfInt(PerCall(call, var).Argument(var - Builtin.Arg0)),
        Builtin.Fd => Scalar.OfNullable(PerCall(call, var).Fd),
        Builtin.Path => Scalar.OfText(PerCall(call, var).Path),
        Builtin.Pid => Scalar.OfInt(PerCall(call, var).Pid),
        Builtin.Tid => Scalar.OfInt(PerCall(call, var).Tid),
        Builtin.Comm => Scalar.OfText(PerCall(call, var).Comm),
        Builtin.Retval => Scalar.OfNullable(PerCall(call, var).Retval),
        Builtin.Call => Scalar.OfInt(PerCall(call, var).Call),
        Builtin.Injected => Scalar.OfInt(PerCall(call, var).Injected),
        Builtin.Elapsed => Scalar.OfInt(Nanoseconds(Control(control, var).Elapsed)),
        Builtin.Rate => Scalar.OfFloat(Control(control, var).Rate),
        Builtin.ObservedMin => Scalar.OfFloat(Control(control, var).ObservedMin),
        Builtin.ObservedMean => Scalar.OfFloat(Control(control, var).ObservedMean),
        Builtin.ObservedMax => Scalar.OfFloat(Control(control, var).ObservedMax),
        Builtin.ObservedVar => Scalar.OfFloat(Control(control, var).ObservedVar),
        Builtin.ObservedCount => Scalar.OfInt(Control(control, var).ObservedCount),
        _ => throw new InvalidOperationException($"unknown builtin {var}"),
    };

    private static ICallContext PerCall(ICallContext? call, Builtin var)
        => call ?? throw new InvalidOperationException(
            $"`{Builtins.Get(var).Name}` is a per-call term: a control condition cannot read it (the plan is malformed)");

    private static IControlContext Control(IControlContext? control, Builtin var)
        => control ?? throw new InvalidOperationException(
            $"`{Builtins.Get(var).Name}` is a control term, but no control context was given");

    private static long Nanoseconds(TimeSpan t)
    {
        long ticks = t.Ticks;
        if (ticks > long.MaxValue / TimeSpan.NanosecondsPerTick) return long.MaxValue;
        if (ticks < long.MinValue / TimeSpan.NanosecondsPerTick) return long.MinValue;
        return ticks * TimeSpan.NanosecondsPerTick;
    }

    private Scalar Negate(UnaryPlanExpr u, ICallContext? call, IControlContext? control)
    {
        var x = Eval(u.Operand, call, control);
        if (!x.IsDefined) return x;
        return u.Operand.Type switch
        {
            // -ENOENT is an int: the raw result of a failing call.
            PhbType.Int or PhbType.Duration or PhbType.Errno => Scalar.OfInt(unchecked(-x.Int)),
            PhbType.Float or PhbType.Percentage => Scalar.OfFloat(-x.Float),
            _ => throw NotEvaluable(u, "a number"),
        };
    }

    private Scalar Arithmetic(BinaryPlanExpr b, ICallContext? call, IControlContext? control)
    {
        var l = Eval(b.Left, call, control);
        if (!l.IsDefined) return l;
        var r = Eval(b.Right, call, control);
        if (!r.IsDefined) return r;
        switch (b.Type)
        {
            case PhbType.Int:
                return IntArithmetic(b.Op, l.Int, r.Int);
            case PhbType.Duration:
            {
                // As the checker folds: through doubles, clamped to half the range.
                double ns = FloatArithmetic(b.Op, AsDouble(l, b.Left.Type), AsDouble(r, b.Right.Type));
                return double.IsNaN(ns) ? default : Scalar.OfInt((long)Math.Clamp(ns, long.MinValue / 2, long.MaxValue / 2));
            }
            case PhbType.Float or PhbType.Percentage:
                return Scalar.OfFloat(FloatArithmetic(b.Op, AsDouble(l, b.Left.Type), AsDouble(r, b.Right.Type)));
        }
        throw NotEvaluable(b, "a value");
    }

    private static Scalar IntArithmetic(BinaryOp op, long a, long b) => op switch
    {
        BinaryOp.Add => Scalar.OfInt(unchecked(a + b)),
        BinaryOp.Subtract => Scalar.OfInt(unchecked(a - b)),
        BinaryOp.Multiply => Scalar.OfInt(unchecked(a * b)),
        // long.MinValue / -1 overflows (and throws in C#): wrap, as the checker's folding does.
        BinaryOp.Divide => b == 0 ? default : Scalar.OfInt(b == -1 ? unchecked(-a) : a / b),
        BinaryOp.Modulo => b == 0 ? default : Scalar.OfInt(b == -1 ? 0 : a % b),
        _ => throw new InvalidOperationException($"`{op}` is not arithmetic"),
    };

    /// <summary>Float arithmetic; NaN for a division by zero, which comparisons treat as undefined.</summary>
    private static double FloatArithmetic(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Subtract => a - b,
        BinaryOp.Multiply => a * b,
        BinaryOp.Divide => b == 0 ? double.NaN : a / b,
        _ => throw new InvalidOperationException($"`{op}` does not apply to floats or durations"),
    };

    private static InvalidOperationException NotEvaluable(PlanExpr e, string expected)
        => new($"cannot evaluate `{e}` ({e.Type.Name()}) as {expected}: the plan is malformed");
}
