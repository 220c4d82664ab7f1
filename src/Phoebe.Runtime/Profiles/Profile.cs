namespace Phoebe.Runtime.Profiles;

/// <summary>
/// What a program's syscalls did over an observation: how often each syscall was
/// called and, per <c>(syscall, errno)</c>, how often it failed naturally and at what
/// rate per interval. Written by <c>phoebe observe</c>, read by <c>phoebe synthesize</c>
/// and <c>phoebe run --profile</c>. The YAML format is documented in docs/profile.md.
/// </summary>
/// <param name="Version">The format version; this Phoebe reads and writes <see cref="CurrentVersion"/>.</param>
/// <param name="Target">What was observed (a command name, as the user knows it).</param>
/// <param name="Interval">The length of one observation interval.</param>
/// <param name="Intervals">How many intervals the observation lasted.</param>
/// <param name="Syscalls">Every syscall seen, with its total calls.</param>
/// <param name="Errors">Every natural error seen, per <c>(syscall, errno)</c>.</param>
public sealed record Profile(
    int Version,
    string Target,
    TimeSpan Interval,
    long Intervals,
    IReadOnlyList<SyscallCalls> Syscalls,
    IReadOnlyList<ErrorObservation> Errors)
{
    /// <summary>The profile format version this Phoebe reads and writes.</summary>
    public const int CurrentVersion = 1;
}

/// <summary>A syscall and how many times it was called over the whole observation.</summary>
public sealed record SyscallCalls(string Name, long Calls);

/// <summary>
/// The natural failures of one syscall with one errno.
/// </summary>
/// <param name="Syscall">The syscall's name, e.g. <c>futex</c>.</param>
/// <param name="Errno">The errno's name, e.g. <c>ETIMEDOUT</c>.</param>
/// <param name="Count">Failures of this kind over the whole observation.</param>
/// <param name="Rate">
/// The summary of the per-interval error rate <c>errors / calls</c>; <see langword="null"/> only when
/// <paramref name="Series"/> is given (the summary is then computed from it).
/// </param>
/// <param name="Series">The per-interval error rates, over the intervals in which the syscall was called; optional.</param>
public sealed record ErrorObservation(
    string Syscall,
    string Errno,
    long Count,
    RateSummary? Rate,
    IReadOnlyList<double>? Series);

/// <summary>
/// The summary of a per-interval error rate series, as the paper defines it:
/// <paramref name="Min"/> and <paramref name="Max"/> are its 5th and 95th percentiles
/// (not the extremes), <paramref name="Var"/> its population variance.
/// </summary>
public sealed record RateSummary(double Min, double Mean, double Max, double Var);
