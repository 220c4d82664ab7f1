using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Synthesis;

namespace Phoebe.Runtime.Tests.Profiles;

public class ProfileReaderTests
{
    private const string IssueShape = """
        version: 1
        target: redis-server
        interval: 15s
        intervals: 5760
        syscalls:                 # every syscall seen, with its total calls
          - name: futex
            calls: 149600000
        errors:
          - syscall: futex
            errno: ETIMEDOUT
            count: 73100000       # errors of this kind over the whole observation
            rate: { min: 0.48304, mean: 0.48879, max: 0.49017, var: 0.000001 }
            series: [0.4885, 0.4879, 0.4902, 0.4831]   # per-interval rates, optional
        """;

    private static ProfileReadResult Read(string yaml) => ProfileReader.Read(new SourceText("p.yaml", yaml));

    private static Profile ReadValid(string yaml)
    {
        var result = Read(yaml);
        Assert.False(result.HasErrors, string.Concat(result.Diagnostics.Select(DiagnosticRenderer.Render)));
        return result.Profile!;
    }

    [Fact]
    public void Reads_the_shape_of_the_issue()
    {
        var result = Read(IssueShape);
        var profile = result.Profile!;
        Assert.Equal(1, profile.Version);
        Assert.Equal("redis-server", profile.Target);
        Assert.Equal(TimeSpan.FromSeconds(15), profile.Interval);
        Assert.Equal(5760, profile.Intervals);
        Assert.Equal([new SyscallCalls("futex", 149600000)], profile.Syscalls);
        var error = Assert.Single(profile.Errors);
        Assert.Equal(("futex", "ETIMEDOUT", 73100000L), (error.Syscall, error.Errno, error.Count));
        Assert.Equal(new RateSummary(0.48304, 0.48879, 0.49017, 0.000001), error.Rate);
        Assert.Equal([0.4885, 0.4879, 0.4902, 0.4831], error.Series!);
        // The summary of the issue's example is not that of this 4-value series: a warning, not an error.
        Assert.Equal(["PHB3016"], result.Diagnostics.Select(d => d.Code));
    }

    [Theory]
    [InlineData("15s", 15_000_000_000L)]
    [InlineData("500ms", 500_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("2m", 120_000_000_000L)]
    [InlineData("1h", 3_600_000_000_000L)]
    [InlineData("250us", 250_000L)]
    [InlineData("250µs", 250_000L)]
    [InlineData("100ns", 100L)]
    [InlineData("\"10s\"", 10_000_000_000L)]
    public void Interval_is_a_duration(string text, long nanoseconds)
    {
        var profile = ReadValid($"version: 1\ntarget: t\ninterval: {text}\nintervals: 1\nsyscalls: []\nerrors: []\n");
        Assert.Equal(nanoseconds / 100, profile.Interval.Ticks);
    }

    [Theory]
    [InlineData("15")]
    [InlineData("15 s")]
    [InlineData("0s")]
    [InlineData("10ns")]
    [InlineData("1d")]
    [InlineData("-1s")]
    [InlineData("[15s]")]
    public void Interval_that_is_not_a_positive_duration_is_PHB3013(string text)
    {
        var result = Read($"version: 1\ntarget: t\ninterval: {text}\nintervals: 1\nsyscalls: []\nerrors: []\n");
        Assert.Equal(["PHB3013"], result.Diagnostics.Select(d => d.Code));
        Assert.Equal(new LinePosition(3, 11), result.Diagnostics[0].Position);
    }

    [Fact]
    public void Series_alone_is_enough()
    {
        var profile = ReadValid("""
            version: 1
            target: t
            interval: 1s
            intervals: 3
            syscalls: [{ name: read, calls: 30 }]
            errors:
              - { syscall: read, errno: EAGAIN, count: 3, series: [0.1, 0.1, 0.1] }
            """);
        var error = Assert.Single(profile.Errors);
        Assert.Null(error.Rate);
        Assert.Equal(3, error.Series!.Count);
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        var result = Read("""
            version: 1
            target: t
            interval: 15
            intervals: 10
            syscalls:
              - name: futx
                calls: -1
            errors:
              - syscall: read
                errno: EAGAINN
                count: 3
                rate: { min: 0.5, mean: 0.2, max: 0.1, var: 2 }
            """);
        Assert.Null(result.Profile);
        Assert.Equal(["PHB3013", "PHB3008", "PHB3006", "PHB3009", "PHB3007", "PHB3006"], result.Diagnostics.Select(d => d.Code));
        // In source order, each at its line and column.
        Assert.Equal([3, 6, 7, 10, 12, 12], result.Diagnostics.Select(d => d.Position!.Value.Line));
    }

    [Fact]
    public void An_error_of_a_syscall_whose_entry_is_broken_is_not_also_reported_as_unlisted()
    {
        var result = Read("""
            version: 1
            target: t
            interval: 1s
            intervals: 10
            syscalls:
              - name: read
                calls: many
            errors:
              - { syscall: read, errno: EAGAIN, count: 1, rate: { min: 0, mean: 0, max: 0, var: 0 } }
            """);
        Assert.Equal(["PHB3004"], result.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void Errno_aliases_are_the_same_error()
    {
        var result = Read("""
            version: 1
            target: t
            interval: 1s
            intervals: 10
            syscalls: [{ name: read, calls: 100 }]
            errors:
              - { syscall: read, errno: EAGAIN, count: 1, rate: { min: 0, mean: 0, max: 0, var: 0 } }
              - { syscall: read, errno: EWOULDBLOCK, count: 1, rate: { min: 0, mean: 0, max: 0, var: 0 } }
            """);
        Assert.Equal(["PHB3012"], result.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public void Garbage_is_reported_not_thrown()
    {
        foreach (string text in new[] { "", "\0\0\0", ": : :", "[[[[", string.Concat(Enumerable.Repeat("[", 500)), "- a\n- b", "\"just a string\"", "{a: 1, a: 2}", "&a [*a]" })
        {
            var result = Read(text);
            Assert.True(result.HasErrors, text);
            Assert.Null(result.Profile);
        }
    }

    [Fact]
    public void Mutated_profiles_never_crash_the_reader()
    {
        string example = File.ReadAllText(Path.Combine(Run.RepoPaths.Root, "examples", "profiles", "redis.yaml"));
        const string Alphabet = " \n\t:-[]{},#&*!|>'\"%@`?0123456789.eE_abcxyz\0";
        var random = new Random(4);
        for (int i = 0; i < 3000; i++)
        {
            var text = new System.Text.StringBuilder(example);
            for (int edits = random.Next(1, 6); edits > 0 && text.Length > 0; edits--)
            {
                int at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0: text.Remove(at, Math.Min(text.Length - at, random.Next(1, 20))); break;
                    case 1: text.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                    default: text[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                }
            }
            var result = Read(text.ToString());
            Assert.Equal(result.HasErrors, result.Profile is null);
            foreach (var d in result.Diagnostics) DiagnosticRenderer.Render(d);
        }
    }

    [Fact]
    public void Writer_round_trips_values_exactly()
    {
        var profile = new Profile(1, "redis server \"prod\" ✓", TimeSpan.FromMilliseconds(1500), 4,
            [new SyscallCalls("futex", 1000), new SyscallCalls("read", 400), new SyscallCalls("openat", 0)],
            [
                new ErrorObservation("futex", "ETIMEDOUT", 490, new RateSummary(0.48304, 0.48879, 0.49017, 0.000001), null),
                new ErrorObservation("read", "EAGAIN", 40, new RateSummary(1.0 / 3, 0.1, 0.9999999999999999, 1e-300), [0.1, 1.0 / 3, 0, 1e-7]),
            ]);
        string yaml = ProfileWriter.ToYaml(profile);
        var back = Read(yaml);
        Assert.Empty(back.Diagnostics.Where(d => d.Severity == Severity.Error).Select(DiagnosticRenderer.Render));
        AssertSame(profile, back.Profile!);
        Assert.Equal(yaml, ProfileWriter.ToYaml(back.Profile!));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("123")]
    [InlineData("null")]
    [InlineData("a: b")]
    [InlineData("- x")]
    [InlineData("#x")]
    [InlineData("")]
    [InlineData("back\\slash\ttab\nnewline")]
    public void Writer_quotes_targets_that_yaml_would_misread(string target)
    {
        if (target.Length == 0) return; // an empty target is rejected on read; nothing to round-trip
        var profile = new Profile(1, target, TimeSpan.FromSeconds(1), 1, [], []);
        Assert.Equal(target, ReadValid(ProfileWriter.ToYaml(profile)).Target);
    }

    [Fact]
    public void Round_trip_gives_the_same_models()
    {
        string example = File.ReadAllText(Path.Combine(Run.RepoPaths.Root, "examples", "profiles", "redis.yaml"));
        var original = ReadValid(example);
        var reread = ReadValid(ProfileWriter.ToYaml(original));
        Assert.Equal(ErrorModelSynthesizer.Synthesize(original), ErrorModelSynthesizer.Synthesize(reread));
        // An error given only by its series keeps its models when the writer adds the computed summary.
        var seriesOnly = original with { Errors = [.. original.Errors.Select(e => e.Series is null ? e : e with { Rate = null })] };
        Assert.Equal(ErrorModelSynthesizer.Synthesize(seriesOnly), ErrorModelSynthesizer.Synthesize(ReadValid(ProfileWriter.ToYaml(seriesOnly))));
    }

    private static void AssertSame(Profile expected, Profile actual)
    {
        Assert.Equal(expected with { Syscalls = [], Errors = [] }, actual with { Syscalls = [], Errors = [] });
        Assert.Equal(expected.Syscalls, actual.Syscalls);
        Assert.Equal(expected.Errors.Count, actual.Errors.Count);
        for (int i = 0; i < expected.Errors.Count; i++)
        {
            var (e, a) = (expected.Errors[i], actual.Errors[i]);
            Assert.Equal(e with { Series = null }, a with { Series = null });
            Assert.Equal(e.Series, a.Series);
        }
    }
}
