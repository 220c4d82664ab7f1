using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>The interval accumulator of <c>phoebe observe</c> on made-up counts.</summary>
public sealed class ObserveObservationTests
{
    private static int Nr(string name) =>
        Enumerable.Range(0, 1024).First(n => Observation.SyscallName(n) == name);

    private static SyscallCounter C(string syscall, int errno, long count) =>
        new(Nr(syscall), errno, count, count, new long[SyscallMonitor.HistogramBuckets]);

    private static SyscallCounts Counts(params SyscallCounter[] counters) => new(counters, 0, 0);

    [Fact]
    public void Rates_are_per_interval_over_the_intervals_in_which_the_syscall_was_called()
    {
        const int ENOENT = 2, EAGAIN = 11;
        var observation = new Observation(TimeSpan.FromSeconds(15));
        observation.Add(Counts(C("openat", 0, 90), C("openat", ENOENT, 10), C("read", 0, 5)));
        observation.Add(Counts(C("read", 0, 7)));                        // openat not called: no rate
        var third = observation.Add(Counts(C("openat", 0, 50), C("read", EAGAIN, 3), C("read", 0, 1)));
        observation.Add(Counts(C("openat", ENOENT, 4), C("openat", 0, 4)));
        observation.Add(Counts());

        Assert.Equal(3, third.Index);
        Assert.Equal(["openat", "read"], third.Calls.Select(c => c.Syscall));
        var live = Assert.Single(third.Errors);
        Assert.Equal(("read", "EAGAIN", 3L, 4L, 0.75), (live.Syscall, live.Errno, live.Count, live.Calls, live.Rate));

        var profile = observation.ToProfile("demo");
        Assert.Equal(5, profile.Intervals);
        Assert.Equal("demo", profile.Target);
        Assert.Equal([new SyscallCalls("openat", 158), new SyscallCalls("read", 16)], profile.Syscalls);
        Assert.Equal(2, profile.Errors.Count);
        var openat = profile.Errors[0];
        Assert.Equal(("openat", "ENOENT", 14L), (openat.Syscall, openat.Errno, openat.Count));
        Assert.Equal([0.1, 0.0, 0.5], openat.Series);
        Assert.Equal(RateStatistics.Summarize([0.1, 0.0, 0.5]), openat.Rate);
        var read = profile.Errors[1];
        Assert.Equal(("read", "EAGAIN", 3L), (read.Syscall, read.Errno, read.Count));
        Assert.Equal([0.0, 0.0, 0.75], read.Series);

        // What it writes reads back to the same profile.
        var back = ProfileReader.Read(new Phoebe.Lang.Syntax.SourceText("p.yaml", ProfileWriter.ToYaml(profile)));
        Assert.False(back.HasErrors);
        Assert.Equal(profile.Errors[0].Series, back.Profile!.Errors[0].Series);
        Assert.Equal(profile.Syscalls, back.Profile.Syscalls);
    }

    [Fact]
    public void Numbers_without_a_name_are_left_out_and_counted()
    {
        var observation = new Observation(TimeSpan.FromSeconds(1));
        var seen = observation.Add(new SyscallCounts([new SyscallCounter(Nr("close"), 512, 3, 0, new long[32]), new SyscallCounter(Nr("close"), 0, 2, 0, new long[32])], 0, 0));
        Assert.Equal(3, seen.Unnamed);
        Assert.Equal(3, observation.Unnamed);
        Assert.Empty(observation.ToProfile("x").Errors);
        Assert.Null(ErrnoCatalog.ByNumber(512));
    }
}
