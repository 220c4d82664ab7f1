using System.Collections.Frozen;
using System.Diagnostics;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Semantics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Injection;

/// <summary>Settings of an injection engine.</summary>
public sealed class InjectionOptions
{
    /// <summary>Seed of <c>chance()</c>: the same seed and call sequence give the same injections.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Where injections are logged (JSON lines), if anywhere.</summary>
    public InjectionLog? Log { get; init; }

    /// <summary>Receives the text of <c>log "..."</c> actions with their context.</summary>
    public Action<string>? OnLogAction { get; init; }

    /// <summary>
    /// Let the kernel fail unconditional ENTRY errno rules (SECCOMP_RET_ERRNO), with no
    /// stop and no counters. Off when rules must stay changeable while the target runs.
    /// </summary>
    public bool InKernelErrno { get; init; } = true;

    /// <summary>
    /// Serve ENTRY-only syscalls through seccomp user notification (no ptrace stop;
    /// about 3x cheaper here) instead of ptrace. Off for comparisons and debugging.
    /// </summary>
    public bool UseSeccompNotify { get; init; } = true;

    /// <summary>The default <see cref="Interval"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default <see cref="Tick"/>: 10 ms.</summary>
    public static readonly TimeSpan DefaultTick = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The interval over which <c>rate</c> is measured: intervals are consecutive, aligned on
    /// the engine's start, and <c>rate</c> is errors / calls so far in the current one
    /// (docs/semantics.md, "rate and observed.*").
    /// </summary>
    public TimeSpan Interval { get; init; } = DefaultInterval;

    /// <summary>
    /// How often a rule's control condition (<c>rate</c>, <c>observed.*</c>, <c>elapsed</c>) is
    /// decided: once per tick per (rule, syscall), at the first call of the tick; the result
    /// holds for the rest of the tick. <see cref="TimeSpan.Zero"/> decides it at every call.
    /// </summary>
    public TimeSpan Tick { get; init; } = DefaultTick;

    /// <summary>
    /// The values of <c>observed.*</c> by (syscall name, errno number), from a profile
    /// (<see cref="ProfileObservations.Table"/>). A rule that reads <c>observed.*</c> needs an entry
    /// for each of its syscalls and the errno it returns.
    /// </summary>
    public IReadOnlyDictionary<(string Syscall, int Errno), ObservedStats>? Observations { get; init; }

    /// <summary>
    /// Called on the tracer thread at the entry of each <c>execve</c> of the traced tree, before the kernel runs it
    /// and before rules decide it, with the calling process's id. A launched target's first one is the launcher's
    /// <c>execve</c> of the command: nothing of the command has run yet (the metrics start the eBPF monitor on it
    /// there). When set, a launched target's filter stops every <c>execve</c> (one ptrace stop per exec) and
    /// <c>execve</c> is never decided in the kernel.
    /// </summary>
    public Action<int>? BeforeExec { get; init; }
}

/// <summary>What to do with a call at its entry.</summary>
internal readonly record struct EntryDecision(long? Return, long DelayNanoseconds, int[]? Signals, bool WantExit);

/// <summary>What to do with a call at its exit.</summary>
internal readonly record struct ExitDecision(long? Return, long DelayNanoseconds, int[]? Signals);

/// <summary>
/// Decides, for each traced call, which rules act and how. Holds the live rule
/// table: rules can be added, removed, enabled and disabled while a target runs
/// (the table is swapped atomically; the tracer thread reads a snapshot per call).
///
/// Order: rules are consulted in plan order; every matching rule's delays, signals
/// and logs apply; the first matching rule's <c>return</c> wins.
/// </summary>
public sealed class InjectionEngine
{
    private static readonly FrozenDictionary<int, string> NamesByNumber = SyscallTable.All
        .Where(s => s.X86_64Number is not null)
        .ToFrozenDictionary(s => s.X86_64Number!.Value, s => s.Name);

    private readonly InjectionOptions options;
    private readonly ConditionEvaluator evaluator;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly object gate = new();
    private readonly object decisionGate = new();
    private volatile RuleTable table;
    private readonly Dictionary<int, RateCounter> rates = new();
    private readonly long intervalTicks;
    private readonly long tickTicks;

    /// <summary>Creates an engine with the given rules.</summary>
    public InjectionEngine(IEnumerable<RulePlan> rules, InjectionOptions options)
    {
        this.options = options;
        evaluator = new ConditionEvaluator(new SeededRandom(options.Seed));
        if (options.Interval <= TimeSpan.Zero) throw new ArgumentException("the rate interval must be positive", nameof(options));
        if (options.Tick < TimeSpan.Zero) throw new ArgumentException("the control tick cannot be negative", nameof(options));
        intervalTicks = options.Interval.Ticks;
        tickTicks = options.Tick.Ticks;
        var plans = rules.ToList();
        var inKernel = options.InKernelErrno ? KernelDecidable(plans, traceExec: options.BeforeExec is not null) : [];
        table = RuleTable.Build(plans.Select(rule => Load(rule, inKernel.Contains(rule))).ToList());
    }

    /// <summary>The rules with their live counters, in order.</summary>
    public IReadOnlyList<RuleRuntime> Rules => table.All;

    /// <summary>execve's x86_64 number.</summary>
    internal const int ExecveNumber = 59;

    /// <summary>Time since the engine started.</summary>
    public TimeSpan Elapsed => clock.Elapsed;

    /// <summary>The syscall name of an x86_64 number.</summary>
    public static string SyscallName(int nr) => NamesByNumber.TryGetValue(nr, out var n) ? n : $"syscall_{nr}";

    /// <summary>Adds a rule (it must trace only syscalls the running target's filter traces).</summary>
    public void AddRule(RulePlan rule)
    {
        lock (gate)
        {
            if (table.All.Any(r => r.Name == rule.Name)) throw new ArgumentException($"there is already a rule named `{rule.Name}`");
            table = RuleTable.Build(table.All.Append(Load(rule, inKernel: false)).ToList());
        }
    }

    /// <summary>Removes a rule; false when there is none of that name.</summary>
    public bool RemoveRule(string name)
    {
        lock (gate)
        {
            var rest = table.All.Where(r => r.Name != name).ToList();
            if (rest.Count == table.All.Count) return false;
            table = RuleTable.Build(rest);
            return true;
        }
    }

    /// <summary>Enables or disables a rule; false when there is none of that name.</summary>
    public bool SetEnabled(string name, bool enabled)
    {
        lock (gate)
        {
            var rule = table.All.FirstOrDefault(r => r.Name == name);
            if (rule is null) return false;
            rule.Enabled = enabled;
            table = RuleTable.Build(table.All.ToList());
            return true;
        }
    }

    private RuleRuntime Load(RulePlan rule, bool inKernel)
    {
        // Compile regexes now, not at the first traced call.
        evaluator.Prepare(rule.Filter);
        evaluator.Prepare(rule.Control);
        var runtime = new RuleRuntime(rule, inKernel);
        int errno = rule.Actions.OfType<ReturnErrnoAction>().FirstOrDefault()?.Number ?? 0;
        bool readsObserved = ProfileObservations.UsesObserved(rule);
        foreach (var sc in rule.Syscalls)
        {
            if (sc.X86_64 is not { } nr || runtime.Controls.ContainsKey(nr)) continue;
            ObservedStats? observed = null;
            if (readsObserved && (errno == 0 || options.Observations is null || !options.Observations.TryGetValue((sc.Name, errno), out observed)))
            {
                throw new ArgumentException($"rule `{rule.Name}` reads observed.* but there are no observations of {sc.Name} failing with {rule.Errno ?? "its errno"}");
            }
            runtime.Controls[nr] = new RuleControl(this, nr, errno, observed, runtime.AddSyscall(sc.Name));
        }
        return runtime;
    }

    /// <summary>The seccomp filter for a launched target: per syscall, kernel rules then trace.</summary>
    public IReadOnlyDictionary<int, SyscallFilter> FilterPlan()
    {
        var kernel = new Dictionary<int, List<KernelRule>>();
        var traced = new HashSet<int>();
        foreach (var rule in table.All)
        {
            foreach (var sc in rule.Plan.Syscalls)
            {
                if (sc.X86_64 is not { } nr) continue;
                if (!rule.InKernel)
                {
                    traced.Add(nr);
                    continue;
                }
                if (!kernel.TryGetValue(nr, out var list)) kernel[nr] = list = new List<KernelRule>();
                list.Add(new KernelRule(ArgumentConditions(rule.Plan.Filter, sc)!, ((ReturnErrnoAction)rule.Plan.Actions[0]).Number));
            }
        }
        // A syscall whose rules all act at ENTRY needs no ptrace stop: the supervisor decides it.
        // A syscall whose rate a rule reads must be seen at exit, for its results.
        var needsPtrace = new HashSet<int>(table.All.Where(r => !r.InKernel && (r.Plan.Phase == Phase.Exit || r.UsesRate))
            .SelectMany(r => r.Plan.Syscalls).Where(sc => sc.X86_64 is not null).Select(sc => sc.X86_64!.Value));
        var filters = new Dictionary<int, SyscallFilter>();
        foreach (int nr in traced)
        {
            var action = options.UseSeccompNotify && !needsPtrace.Contains(nr) && nr != ExecveNumber ? SeccompAction.UserNotif : SeccompAction.Trace;
            filters[nr] = new SyscallFilter([], action);
        }
        // With notifications, the launcher's execve must stop for the tracer: that stop is
        // where the tracer copies the seccomp listener (see native/phoebe-launch.c). BeforeExec
        // wants that stop too (KernelDecidable then leaves execve to the tracer).
        if ((options.BeforeExec is not null || filters.Values.Any(f => f.Otherwise == SeccompAction.UserNotif)) && !kernel.ContainsKey(ExecveNumber))
        {
            filters[ExecveNumber] = new SyscallFilter([], SeccompAction.Trace);
        }
        foreach (var (nr, rules) in kernel)
        {
            // KernelDecidable guarantees no traced rule shares a syscall with kernel rules.
            filters[nr] = new SyscallFilter(rules, SeccompAction.Allow);
        }
        return filters;
    }

    /// <summary>
    /// The rules the kernel can decide alone: ENTRY, a single <c>return ERRNO</c>, and a
    /// filter that is absent or only <c>argN == constant</c> tests. A rule qualifies only
    /// if every rule on each of its syscalls does too: otherwise the kernel would hide
    /// calls from rules whose delays, logs and counters must see them.
    /// </summary>
    private static HashSet<RulePlan> KernelDecidable(List<RulePlan> rules, bool traceExec)
    {
        static bool Capable(RulePlan r) => r.Phase == Phase.Entry && r.Control is null && r.Functions.IsEmpty
            && r.Actions.Length == 1 && r.Actions[0] is ReturnErrnoAction && r.Syscalls.All(sc => ArgumentConditions(r.Filter, sc) is not null);
        var blocked = new HashSet<int>();
        if (traceExec) blocked.Add(ExecveNumber);
        foreach (var r in rules.Where(r => !Capable(r)))
        {
            foreach (var sc in r.Syscalls) if (sc.X86_64 is { } nr) blocked.Add(nr);
        }
        var result = new HashSet<RulePlan>(ReferenceEqualityComparer.Instance);
        foreach (var r in rules.Where(Capable))
        {
            if (r.Syscalls.All(sc => sc.X86_64 is { } nr && !blocked.Contains(nr))) result.Add(r);
        }
        // Too many conditions for one BPF block: keep those syscalls in the tracer.
        foreach (var r in result.ToList())
        {
            foreach (var sc in r.Syscalls)
            {
                var rulesOnNr = result.Where(x => x.Syscalls.Any(y => y.X86_64 == sc.X86_64))
                    .Select(x => new KernelRule(ArgumentConditions(x.Filter, sc)!, 0)).ToList();
                if (!SeccompFilterBuilder.Fits(new SyscallFilter(rulesOnNr, SeccompAction.Allow))) result.Remove(r);
            }
        }
        return result;
    }

    /// <summary>
    /// The conjunction of <c>argN == constant</c> tests a filter is made of, for one
    /// syscall, or null when the kernel cannot test it (other operators or terms, or a
    /// constant an <c>int</c> argument can never hold).
    /// </summary>
    private static List<ArgumentEquals>? ArgumentConditions(PlanExpr? filter, SyscallRef syscall)
    {
        var list = new List<ArgumentEquals>();
        return filter is null || Collect(filter, list) ? list : null;

        bool Collect(PlanExpr e, List<ArgumentEquals> into) => e switch
        {
            BinaryPlanExpr { Op: BinaryOp.And } and => Collect(and.Left, into) && Collect(and.Right, into),
            BinaryPlanExpr { Op: BinaryOp.Equal, Left: VarPlanExpr { Var: >= Builtin.Arg0 and <= Builtin.Arg5 } v, Right: ConstPlanExpr { Value.Type: PhbType.Int } c }
                => Add(into, v.Var - Builtin.Arg0, c.Value.Int),
            BinaryPlanExpr { Op: BinaryOp.Equal, Left: ConstPlanExpr { Value.Type: PhbType.Int } c, Right: VarPlanExpr { Var: >= Builtin.Arg0 and <= Builtin.Arg5 } v }
                => Add(into, v.Var - Builtin.Arg0, c.Value.Int),
            _ => false,
        };

        bool Add(List<ArgumentEquals> into, int arg, long value)
        {
            if (syscall.Normalize(arg, value) != value) return false; // never equal: leave it to the tracer, which says no
            bool low = !syscall.ArgumentKinds.IsDefaultOrEmpty && syscall.ArgumentKinds[arg] != ArgumentKind.Full64;
            into.Add(new ArgumentEquals(arg, unchecked((ulong)value), low));
            return true;
        }
    }

    /// <summary>The syscall reference (fd and path arguments) for a number, if any rule names it.</summary>
    internal SyscallRef? SyscallOf(int nr) => table.Syscalls.TryGetValue(nr, out var s) ? s : null;

    internal bool HasExitRules(int nr) => table.Exit.ContainsKey(nr);

    internal EntryDecision OnEntry(int nr, TraceeCall call)
    {
        // Outside the decision lock: it may make a system call of its own. execve is never notified,
        // so this runs on the tracer thread only.
        if (nr == ExecveNumber) options.BeforeExec?.Invoke(call.Pid);
        // The tracer and the notification supervisor decide calls on two threads.
        lock (decisionGate) return DecideEntry(nr, call);
    }

    internal ExitDecision OnExit(int nr, TraceeCall call)
    {
        lock (decisionGate) return DecideExit(nr, call);
    }

    private EntryDecision DecideEntry(int nr, TraceeCall call)
    {
        var t = table;
        long? ret = null;
        long delay = 0;
        List<int>? signals = null;
        if (t.Entry.TryGetValue(nr, out var rules))
        {
            foreach (var rule in rules) Apply(rule, nr, call, ref ret, ref delay, ref signals, original: null);
        }
        bool rated = t.Rated.Contains(nr);
        // A call decided at entry never reaches its exit: its result is the one given here.
        if (rated && ret is { } given) CountResult(nr, given);
        return new EntryDecision(ret, delay, signals?.ToArray(), ret is null && (t.Exit.ContainsKey(nr) || rated));
    }

    private ExitDecision DecideExit(int nr, TraceeCall call)
    {
        long? ret = null;
        long delay = 0;
        List<int>? signals = null;
        var t = table;
        if (t.Exit.TryGetValue(nr, out var rules))
        {
            foreach (var rule in rules) Apply(rule, nr, call, ref ret, ref delay, ref signals, original: call.Retval);
        }
        // The result the program sees: injected or natural.
        if (t.Rated.Contains(nr)) CountResult(nr, ret ?? call.Retval ?? 0);
        return new ExitDecision(ret, delay, signals?.ToArray());
    }

    private void Apply(RuleRuntime rule, int nr, TraceeCall call, ref long? ret, ref long delay, ref List<int>? signals, long? original)
    {
        if (!rule.Enabled || rule.InKernel) return;
        call.Call = rule.CountCall(nr);
        call.Injected = rule.Injected;
        // By default EXIT rules replace only results that succeeded naturally; a rule
        // whose condition tests retval decides for itself.
        if (original is { } r && rule.Replaces && !rule.DecidesOnRetval && r is >= -4095 and <= -1) return;
        var control = rule.Controls[nr];
        if (rule.Plan.Control is { } c && !control.Holds(c)) return;
        if (!evaluator.Matches(rule.Plan.Filter, call, control)) return;
        rule.CountMatch();
        var now = clock.Elapsed;
        bool returned = false;
        foreach (var action in rule.Plan.Actions)
        {
            switch (action)
            {
                case ReturnErrnoAction e when ret is null:
                    ret = -e.Number;
                    returned = true;
                    break;
                case ReturnValueAction v when ret is null:
                    ret = v.Value;
                    returned = true;
                    break;
                case DelayPlanAction d:
                    delay += d.Nanoseconds;
                    break;
                case SignalPlanAction s:
                    (signals ??= new List<int>()).Add(s.Number);
                    break;
                case LogPlanAction l:
                    options.OnLogAction?.Invoke($"[{rule.Name}] {l.Message} ({SyscallName(nr)} by pid {call.Pid}, tid {call.Tid})");
                    break;
                default:
                    continue; // a later rule's return: the first one won
            }
            options.Log?.Write(new InjectionEvent(DateTimeOffset.UtcNow, call.Pid, call.Tid, SyscallName(nr), call.Arguments(),
                call.Path, rule.Name, action.ToString()!, original));
        }
        rule.CountInjection(now);
        control.Counters.Count(returned);
    }

    /// <summary>An immutable view of the rules, indexed by syscall number and phase.</summary>
    private sealed class RuleTable
    {
        public required IReadOnlyList<RuleRuntime> All { get; init; }
        public required FrozenDictionary<int, RuleRuntime[]> Entry { get; init; }
        public required FrozenDictionary<int, RuleRuntime[]> Exit { get; init; }
        public required FrozenDictionary<int, SyscallRef> Syscalls { get; init; }
        /// <summary>Syscalls whose results are counted, because an enabled rule reads their <c>rate</c>.</summary>
        public required FrozenSet<int> Rated { get; init; }

        public static RuleTable Build(List<RuleRuntime> rules)
        {
            var entry = new Dictionary<int, List<RuleRuntime>>();
            var exit = new Dictionary<int, List<RuleRuntime>>();
            var syscalls = new Dictionary<int, SyscallRef>();
            var rated = new HashSet<int>();
            foreach (var rule in rules)
            {
                foreach (var sc in rule.Plan.Syscalls)
                {
                    if (sc.X86_64 is not { } nr) continue;
                    syscalls.TryAdd(nr, sc);
                    if (!rule.Enabled) continue;
                    if (rule.UsesRate && !rule.InKernel) rated.Add(nr);
                    var target = rule.Plan.Phase == Phase.Exit ? exit : entry;
                    if (!target.TryGetValue(nr, out var list)) target[nr] = list = new List<RuleRuntime>();
                    list.Add(rule);
                }
            }
            return new RuleTable
            {
                All = rules,
                Entry = entry.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray()),
                Exit = exit.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToArray()),
                Syscalls = syscalls.ToFrozenDictionary(),
                Rated = rated.ToFrozenSet(),
            };
        }
    }

    private long IntervalIndex() => clock.Elapsed.Ticks / intervalTicks;

    /// <summary>Counts one result of <paramref name="nr"/> in the current interval (under the decision lock).</summary>
    private void CountResult(int nr, long result)
    {
        if (!rates.TryGetValue(nr, out var counter)) rates[nr] = counter = new RateCounter();
        counter.Count(IntervalIndex(), result);
    }

    /// <summary>The rate of <paramref name="nr"/> failing with <paramref name="errno"/> so far in the current interval.</summary>
    private double RateOf(int nr, int errno) => rates.TryGetValue(nr, out var counter) ? counter.Rate(IntervalIndex(), errno) : 0;

    /// <summary>
    /// The results of one syscall in the current interval: calls, and failures per errno.
    /// A new interval starts from zero.
    /// </summary>
    private sealed class RateCounter
    {
        private long interval = -1;
        private long calls;
        private readonly Dictionary<int, long> errors = new();

        public void Count(long now, long result)
        {
            if (now != interval)
            {
                interval = now;
                calls = 0;
                errors.Clear();
            }
            calls++;
            if (result is >= -4095 and <= -1)
            {
                int errno = (int)-result;
                errors[errno] = errors.GetValueOrDefault(errno) + 1;
            }
        }

        public double Rate(long now, int errno) =>
            now != interval || calls == 0 ? 0 : (double)errors.GetValueOrDefault(errno) / calls;
    }

    /// <summary>
    /// The control terms of one rule on one syscall, and its control condition's decision
    /// for the current tick.
    /// </summary>
    internal sealed class RuleControl(InjectionEngine engine, int nr, int errno, ObservedStats? observed, RuleSyscallCounters counters) : IControlContext
    {
        private long decidedTick = -1;
        private bool holds;

        /// <summary>The rule's counters on this syscall.</summary>
        public RuleSyscallCounters Counters { get; } = counters;

        /// <summary>The control condition's value, decided at the first call of each tick.</summary>
        public bool Holds(PlanExpr control)
        {
            if (engine.tickTicks == 0) return engine.evaluator.ControlHolds(control, this);
            long tick = engine.clock.Elapsed.Ticks / engine.tickTicks;
            if (tick != decidedTick)
            {
                holds = engine.evaluator.ControlHolds(control, this);
                decidedTick = tick;
            }
            return holds;
        }

        public TimeSpan Elapsed => engine.clock.Elapsed;
        public double Rate => errno == 0 ? 0 : engine.RateOf(nr, errno);
        public double ObservedMin => observed?.Min ?? 0;
        public double ObservedMean => observed?.Mean ?? 0;
        public double ObservedMax => observed?.Max ?? 0;
        public double ObservedVar => observed?.Var ?? 0;
        public long ObservedCount => observed?.Count ?? 0;
    }
}
