namespace Phoebe.Runtime.Synthesis;

/// <summary>The three kinds of natural error that Algorithm 1 tells apart.</summary>
public enum ErrorModelCase
{
    /// <summary>Rare: the 95th-percentile rate is below the sporadic threshold. Injected at the sporadic rate.</summary>
    Sporadic,
    /// <summary>Frequent and variable: the variance is above the threshold. Injected at the 95th-percentile rate.</summary>
    Fluctuating,
    /// <summary>Frequent and stable. Injected at the 95th-percentile rate amplified (at most 1).</summary>
    Steady,
}

/// <summary>
/// What was observed of one <c>(syscall, errno)</c>: the 5th percentile (<paramref name="Min"/>),
/// mean, 95th percentile (<paramref name="Max"/>) and population variance of its per-interval
/// error rate, and its error count over the observation.
/// </summary>
public sealed record ObservedRates(double Min, double Mean, double Max, double Var, long Count);

/// <summary>
/// A synthesized error model: inject <see cref="Errno"/> into <see cref="Syscall"/> at exit,
/// only into calls that succeeded naturally, with probability <see cref="Rate"/>.
/// </summary>
/// <param name="Syscall">The syscall.</param>
/// <param name="Errno">The errno to inject.</param>
/// <param name="Case">Which case of Algorithm 1 chose the rate.</param>
/// <param name="Rate">The injection probability, in [0, 1].</param>
/// <param name="Observed">The statistics the case and rate were decided on.</param>
/// <param name="FromSeries">True when <paramref name="Observed"/> was computed from the profile's per-interval series, false when taken from its <c>rate</c> summary.</param>
public sealed record ErrorModel(string Syscall, string Errno, ErrorModelCase Case, double Rate, ObservedRates Observed, bool FromSeries);
