namespace Phoebe.Runtime.Profiles;

/// <summary>
/// The statistics of a per-interval error rate series that profiles and Algorithm 1 use:
/// percentiles by linear interpolation between closest ranks (numpy's default,
/// <c>method="linear"</c>, Hyndman and Fan's definition 7), the mean, and the
/// population variance (numpy's <c>var</c> with <c>ddof=0</c>).
/// </summary>
public static class RateStatistics
{
    /// <summary>The percentile that profiles call <c>min</c>.</summary>
    public const double MinPercentile = 5;

    /// <summary>The percentile that profiles call <c>max</c>.</summary>
    public const double MaxPercentile = 95;

    /// <summary>
    /// The <paramref name="percentile"/>-th percentile (0 to 100) of <paramref name="values"/>:
    /// with the values sorted as x[0..n-1] and h = (n - 1) * percentile / 100, it is
    /// x[⌊h⌋] + (h - ⌊h⌋) * (x[⌊h⌋ + 1] - x[⌊h⌋]). Computed the way numpy does, so
    /// that the two agree to the last bit.
    /// </summary>
    public static double Percentile(IReadOnlyList<double> values, double percentile)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("the series is empty", nameof(values));
        if (!(percentile >= 0 && percentile <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "a percentile is between 0 and 100");
        var sorted = values.ToArray();
        Array.Sort(sorted);
        double h = (sorted.Length - 1) * (percentile / 100);
        int below = (int)Math.Floor(h);
        int above = Math.Min(below + 1, sorted.Length - 1);
        double t = h - below;
        double a = sorted[below], b = sorted[above], diff = b - a;
        // numpy's _lerp: interpolate from the nearer end, which keeps the result within [a, b].
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    }

    /// <summary>The arithmetic mean.</summary>
    public static double Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("the series is empty", nameof(values));
        double sum = 0;
        foreach (double v in values) sum += v;
        return sum / values.Count;
    }

    /// <summary>The population variance: the mean squared deviation from the mean (divided by n, not n - 1).</summary>
    public static double Variance(IReadOnlyList<double> values)
    {
        double mean = Mean(values);
        double sum = 0;
        foreach (double v in values) sum += (v - mean) * (v - mean);
        return sum / values.Count;
    }

    /// <summary>The profile summary of a series: 5th percentile, mean, 95th percentile, population variance.</summary>
    public static RateSummary Summarize(IReadOnlyList<double> series) =>
        new(Percentile(series, MinPercentile), Mean(series), Percentile(series, MaxPercentile), Variance(series));
}
