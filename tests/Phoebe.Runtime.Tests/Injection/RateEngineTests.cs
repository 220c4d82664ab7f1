using Phoebe.Lang;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Tests.Injection;

/// <summary>The engine's <c>rate</c> counting and <c>observed.*</c> binding, without a tracee.</summary>
public sealed class RateEngineTests
{
    private const int Read = 0;
    private const int Write = 1;
    private const int EIO = 5;

    private static RulePlan Rule(string text)
    {
        var result = PhoebeCompiler.Compile(new SourceText("t.phb", text + "\n"));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return result.Plan!.Rules[0];
    }

    private static TraceeCall Call(int nr, long? retval) => new(1, 1, new UserRegs { OrigRax = (ulong)nr }, null, retval);

    [Fact]
    public void Rate_counts_natural_and_injected_errors_of_the_rule_errno_per_syscall()
    {
        // Tick zero: the control condition is decided at every call, so the loop is exact.
        var engine = new InjectionEngine([Rule("RULE r ON read, write EXIT IF rate < 0.25 DO return EIO")],
            new InjectionOptions { Tick = TimeSpan.Zero, Interval = TimeSpan.FromHours(1) });
        int injected = 0;
        for (int i = 0; i < 400; i++)
        {
            if (engine.OnExit(Read, Call(Read, 10)).Return == -EIO) injected++;
        }
        // The first call is injected (rate 0), then one in four keeps the rate at the bound.
        Assert.InRange(injected, 99, 101);
        // write has its own rate: its first call is injected too.
        Assert.Equal(-EIO, engine.OnExit(Write, Call(Write, 1)).Return);
        // Natural EIO results count: read's rate only goes up.
        for (int i = 0; i < 400; i++) Assert.Null(engine.OnExit(Read, Call(Read, -EIO)).Return);
    }

    [Fact]
    public void Entry_rules_reading_rate_stop_at_exit_and_are_never_notified()
    {
        var engine = new InjectionEngine([Rule("RULE r ON read IF rate < 0.5 DO return EIO")], new InjectionOptions());
        Assert.Equal(SeccompAction.Trace, engine.FilterPlan()[Read].Otherwise);
        var first = engine.OnEntry(Read, Call(Read, null));
        Assert.Equal(-EIO, first.Return);
        Assert.False(first.WantExit);
        var plain = new InjectionEngine([Rule("RULE r ON read IF arg0 == 7 DO return EIO")], new InjectionOptions { InKernelErrno = false });
        Assert.False(plain.OnEntry(Read, Call(Read, null)).WantExit);
    }

    [Fact]
    public void Control_is_decided_once_per_tick()
    {
        var engine = new InjectionEngine([Rule("RULE r ON read EXIT IF rate < 0.5 DO return EIO")],
            new InjectionOptions { Tick = TimeSpan.FromHours(1), Interval = TimeSpan.FromHours(1) });
        // Decided on (rate 0) at the first call: every call of the tick is injected.
        for (int i = 0; i < 50; i++) Assert.Equal(-EIO, engine.OnExit(Read, Call(Read, 0)).Return);
    }

    [Fact]
    public void Observed_terms_come_from_the_observations()
    {
        var rule = Rule("RULE r ON read EXIT IF rate < observed.max DO return EIO");
        Assert.Throws<ArgumentException>(() => new InjectionEngine([rule], new InjectionOptions()));
        var observations = new Dictionary<(string, int), ObservedStats> { [("read", EIO)] = new(0, 0, 0, 0, 0) };
        var engine = new InjectionEngine([rule], new InjectionOptions { Observations = observations, Tick = TimeSpan.Zero });
        // observed.max = 0: rate < 0 never holds.
        Assert.Null(engine.OnExit(Read, Call(Read, 0)).Return);
    }
}
