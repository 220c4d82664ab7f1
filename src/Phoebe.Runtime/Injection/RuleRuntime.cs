using Phoebe.Lang.Plan;
using Phoebe.Lang.Semantics;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// A rule loaded into the engine with its live counters. Counters are written
/// only by the tracer thread; other threads read them (64-bit reads are atomic).
/// </summary>
public sealed class RuleRuntime
{
    private readonly Dictionary<int, long> callsBySyscall = new();
    private readonly List<RuleSyscallCounters> bySyscall = [];
    private long calls;
    private long matched;
    private long injected;
    private long firstInjectionTicks = -1;
    private long lastInjectionTicks = -1;

    internal RuleRuntime(RulePlan plan, bool inKernel)
    {
        Plan = plan;
        InKernel = inKernel;
        Replaces = plan.Actions.Any(a => a is ReturnErrnoAction or ReturnValueAction);
        DecidesOnRetval = plan.Filter.Uses(b => b == Builtin.Retval);
        UsesRate = ProfileObservations.UsesRate(plan);
        // Only a rule's first return can take effect: its later ones meet a result already given.
        ReturnValue = plan.Actions.Select(a => a switch
        {
            ReturnErrnoAction e => -e.Number,
            ReturnValueAction v => v.Value,
            _ => (long?)null,
        }).FirstOrDefault(v => v is not null);
    }

    /// <summary>
    /// The result the rule's <c>return</c> gives a call: <c>-errno</c> for <c>return ERRNO</c>, the value for
    /// <c>return N</c>; null when the rule returns nothing (it only delays, signals or logs).
    /// </summary>
    public long? ReturnValue { get; }

    /// <summary>The rule's counters per syscall it traces, in the order of the rule's syscall list.</summary>
    public IReadOnlyList<RuleSyscallCounters> Syscalls => bySyscall;

    /// <summary>Adds the counters of syscall <paramref name="name"/>; while the rule is loaded, before any call.</summary>
    internal RuleSyscallCounters AddSyscall(string name)
    {
        var counters = new RuleSyscallCounters(name);
        bySyscall.Add(counters);
        return counters;
    }

    /// <summary>True when the rule reads <c>rate</c>: the results of its syscalls are then counted.</summary>
    public bool UsesRate { get; }

    /// <summary>The control terms and per-tick decision of the rule, per syscall number.</summary>
    internal Dictionary<int, InjectionEngine.RuleControl> Controls { get; } = new();

    /// <summary>
    /// True when the rule's condition tests <c>retval</c>: it then decides itself which
    /// natural results it replaces (the opt-out from "natural successes only").
    /// </summary>
    public bool DecidesOnRetval { get; }

    /// <summary>True when the rule returns a value (EXIT rules then replace only natural successes).</summary>
    public bool Replaces { get; }

    /// <summary>The rule's plan.</summary>
    public RulePlan Plan { get; }

    /// <summary>The rule's name.</summary>
    public string Name => Plan.Name;

    /// <summary>True when the kernel's seccomp filter fails its calls itself (no counters then).</summary>
    public bool InKernel { get; }

    /// <summary>Whether the rule acts; disabled rules still count nothing.</summary>
    public bool Enabled { get; internal set; } = true;

    /// <summary>Calls of the rule's syscalls seen while enabled.</summary>
    public long Calls => Volatile.Read(ref calls);

    /// <summary>Calls whose conditions held.</summary>
    public long Matched => Volatile.Read(ref matched);

    /// <summary>Times the rule acted (returned, delayed, signalled or logged).</summary>
    public long Injected => Volatile.Read(ref injected);

    /// <summary>Time of the first injection since the engine started, if any.</summary>
    public TimeSpan? FirstInjection => Ticks(Volatile.Read(ref firstInjectionTicks));

    /// <summary>Time of the last injection since the engine started, if any.</summary>
    public TimeSpan? LastInjection => Ticks(Volatile.Read(ref lastInjectionTicks));

    private static TimeSpan? Ticks(long t) => t < 0 ? null : TimeSpan.FromTicks(t);

    /// <summary>Counts one call of <paramref name="nr"/>; returns its 1-based number for this rule and syscall.</summary>
    internal long CountCall(int nr)
    {
        calls++;
        callsBySyscall.TryGetValue(nr, out long n);
        callsBySyscall[nr] = ++n;
        return n;
    }

    internal void CountMatch() => matched++;

    internal void CountInjection(TimeSpan at)
    {
        injected++;
        if (firstInjectionTicks < 0) firstInjectionTicks = at.Ticks;
        lastInjectionTicks = at.Ticks;
    }
}

/// <summary>
/// The counters of one rule on one of its syscalls. Written by the engine under its decision lock (one writer at
/// a time), read from any thread: 64-bit reads are atomic.
/// </summary>
public sealed class RuleSyscallCounters
{
    private long injections;
    private long returns;

    internal RuleSyscallCounters(string syscall) => Syscall = syscall;

    /// <summary>The syscall's name.</summary>
    public string Syscall { get; }

    /// <summary>Times the rule acted on a call of this syscall (returned, delayed, signalled or logged).</summary>
    public long Injections => Volatile.Read(ref injections);

    /// <summary>
    /// Calls of this syscall whose result was the rule's <see cref="RuleRuntime.ReturnValue"/>: the rule acted and
    /// its <c>return</c> was the first to decide the call.
    /// </summary>
    public long Returns => Volatile.Read(ref returns);

    /// <summary>Counts one time the rule acted; <paramref name="returned"/> when its return decided the call.</summary>
    internal void Count(bool returned)
    {
        Volatile.Write(ref injections, injections + 1);
        if (returned) Volatile.Write(ref returns, returns + 1);
    }
}
