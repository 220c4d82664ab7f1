using System.Runtime.InteropServices;
using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Monitoring;

/// <summary>One syscall's calls in one interval.</summary>
public sealed record IntervalCalls(string Syscall, long Calls);

/// <summary>One (syscall, errno)'s failures in one interval, and their rate among the syscall's calls.</summary>
public sealed record IntervalError(string Syscall, string Errno, long Count, long Calls)
{
    /// <summary>errors / calls of the interval.</summary>
    public double Rate => Calls == 0 ? 0 : (double)Count / Calls;
}

/// <summary>What one interval of an observation saw (for the live view).</summary>
/// <param name="Index">The interval's number, from 1.</param>
/// <param name="Calls">Every syscall called in the interval, busiest first.</param>
/// <param name="Errors">Every (syscall, errno) failing in the interval, by syscall then errno.</param>
/// <param name="Unnamed">Calls left out because their syscall or errno number has no name here.</param>
public sealed record ObservationInterval(long Index, IReadOnlyList<IntervalCalls> Calls, IReadOnlyList<IntervalError> Errors, long Unnamed);

/// <summary>
/// Turns the monitor's per-interval counts (<see cref="SyscallMonitor.Collect"/>) into a <see cref="Profile"/>:
/// total calls per syscall, failures per (syscall, errno), and each failure's per-interval rate
/// <c>errors / calls</c> over the intervals in which its syscall was called (docs/profile.md).
/// </summary>
public sealed class Observation
{
    private static readonly Lazy<Dictionary<int, string>> SyscallNames = new(() =>
    {
        var arch = RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? Phoebe.Lang.Catalog.Architecture.Aarch64 : Phoebe.Lang.Catalog.Architecture.X86_64;
        var names = new Dictionary<int, string>();
        foreach (var s in SyscallTable.All)
            if (s.NumberFor(arch) is int nr) names.TryAdd(nr, s.Name);
        return names;
    });

    // Per syscall: its calls in each interval it was called in (interval index -> calls).
    private readonly Dictionary<string, Dictionary<long, long>> calls = new(StringComparer.Ordinal);
    // Per (syscall, errno): its failures in each interval it failed in.
    private readonly Dictionary<(string Syscall, string Errno), Dictionary<long, long>> errors = [];

    /// <summary>Starts an empty observation with intervals of <paramref name="interval"/>.</summary>
    public Observation(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "the interval must be positive");
        Interval = interval;
    }

    /// <summary>The nominal length of an interval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many intervals were added.</summary>
    public long Intervals { get; private set; }

    /// <summary>Calls left out so far because their syscall or errno number has no name in Phoebe's catalog.</summary>
    public long Unnamed { get; private set; }

    /// <summary>Calls the kernel side could not count (full maps), summed over intervals.</summary>
    public long Uncounted { get; private set; }

    /// <summary>Forked processes the kernel side could not follow, summed over intervals.</summary>
    public long Unfollowed { get; private set; }

    /// <summary>The name of syscall <paramref name="number"/> on this machine's architecture, or null.</summary>
    public static string? SyscallName(int number) => SyscallNames.Value.GetValueOrDefault(number);

    /// <summary>Adds one interval: what one <see cref="SyscallMonitor.Collect"/> returned.</summary>
    public ObservationInterval Add(SyscallCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        long index = ++Intervals;
        Uncounted += counts.Uncounted;
        Unfollowed += counts.Unfollowed;
        var intervalCalls = new Dictionary<string, long>(StringComparer.Ordinal);
        var intervalErrors = new Dictionary<(string, string), long>();
        long unnamed = 0;
        foreach (var c in counts.Counters)
        {
            if (c.Count == 0) continue;
            string? syscall = SyscallName(c.Syscall);
            string? errno = c.Errno == 0 ? "" : ErrnoCatalog.ByNumber(c.Errno)?.Name;
            if (syscall is null || errno is null)
            {
                unnamed += c.Count;
                continue;
            }
            intervalCalls[syscall] = intervalCalls.GetValueOrDefault(syscall) + c.Count;
            if (c.Errno != 0) intervalErrors[(syscall, errno)] = intervalErrors.GetValueOrDefault((syscall, errno)) + c.Count;
        }
        Unnamed += unnamed;
        foreach (var (syscall, n) in intervalCalls)
        {
            if (!calls.TryGetValue(syscall, out var perInterval)) calls[syscall] = perInterval = [];
            perInterval[index] = n;
        }
        foreach (var (key, n) in intervalErrors)
        {
            if (!errors.TryGetValue(key, out var perInterval)) errors[key] = perInterval = [];
            perInterval[index] = n;
        }
        return new ObservationInterval(
            index,
            intervalCalls.Select(p => new IntervalCalls(p.Key, p.Value)).OrderByDescending(c => c.Calls).ThenBy(c => c.Syscall, StringComparer.Ordinal).ToList(),
            intervalErrors.Select(p => new IntervalError(p.Key.Item1, p.Key.Item2, p.Value, intervalCalls[p.Key.Item1]))
                .OrderBy(e => e.Syscall, StringComparer.Ordinal).ThenBy(e => e.Errno, StringComparer.Ordinal).ToList(),
            unnamed);
    }

    /// <summary>
    /// The profile of everything added so far: syscalls busiest first; errors by syscall then errno, each with
    /// its total count, its rate series (one rate per interval in which the syscall was called, in order,
    /// 0 where it did not fail) and that series' summary (<see cref="RateStatistics.Summarize"/>).
    /// </summary>
    public Profile ToProfile(string target)
    {
        var syscalls = calls
            .Select(p => new SyscallCalls(p.Key, p.Value.Values.Sum()))
            .OrderByDescending(s => s.Calls).ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        var observed = new List<ErrorObservation>();
        foreach (var ((syscall, errno), failures) in errors.OrderBy(p => p.Key.Syscall, StringComparer.Ordinal).ThenBy(p => p.Key.Errno, StringComparer.Ordinal))
        {
            var series = calls[syscall].OrderBy(p => p.Key)
                .Select(p => (double)failures.GetValueOrDefault(p.Key) / p.Value)
                .ToList();
            observed.Add(new ErrorObservation(syscall, errno, failures.Values.Sum(), RateStatistics.Summarize(series), series));
        }
        return new Profile(Profile.CurrentVersion, target, Interval, Intervals, syscalls, observed);
    }
}
