using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Synthesis;

/// <summary>
/// Algorithm 1 of the paper, exactly as docs/profile.md states it: per <c>(syscall, errno)</c>,
/// with r_max the 95th percentile and var the variance of the per-interval error rate,
/// <list type="number">
/// <item>sporadic if r_max &lt; b: rate v;</item>
/// <item>fluctuating else if var &gt; t: rate r_max;</item>
/// <item>steady otherwise: rate min(1, r_max · f).</item>
/// </list>
/// </summary>
public static class ErrorModelSynthesizer
{
    /// <summary>One model per error of the profile, in the profile's order.</summary>
    public static IReadOnlyList<ErrorModel> Synthesize(Profile profile, SynthesisParameters? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        parameters ??= SynthesisParameters.Default;
        return profile.Errors.Select(e => Synthesize(e, parameters)).ToArray();
    }

    /// <summary>The model of one observed error: statistics from its series when it has one, else from its rate summary.</summary>
    public static ErrorModel Synthesize(ErrorObservation error, SynthesisParameters? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        parameters ??= SynthesisParameters.Default;
        bool fromSeries = error.Series is { Count: > 0 };
        var summary = fromSeries ? RateStatistics.Summarize(error.Series!) : error.Rate
            ?? throw new ArgumentException($"the error {error.Syscall} {error.Errno} has neither a series nor a rate summary", nameof(error));
        var observed = new ObservedRates(summary.Min, summary.Mean, summary.Max, summary.Var, error.Count);
        var (kind, rate) = Classify(observed.Max, observed.Var, parameters);
        return new ErrorModel(error.Syscall, error.Errno, kind, rate, observed, fromSeries);
    }

    /// <summary>The case and model rate for a 95th-percentile rate <paramref name="rMax"/> and variance <paramref name="variance"/>.</summary>
    public static (ErrorModelCase Case, double Rate) Classify(double rMax, double variance, SynthesisParameters? parameters = null)
    {
        parameters ??= SynthesisParameters.Default;
        if (rMax < parameters.SporadicThreshold) return (ErrorModelCase.Sporadic, parameters.SporadicRate);
        if (variance > parameters.VarianceThreshold) return (ErrorModelCase.Fluctuating, rMax);
        return (ErrorModelCase.Steady, Math.Min(1, rMax * parameters.Amplification));
    }
}
