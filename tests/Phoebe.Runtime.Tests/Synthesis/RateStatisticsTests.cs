using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Tests.Synthesis;

/// <summary>
/// Percentiles by linear interpolation between closest ranks, as numpy's default
/// (<c>np.percentile(x, q)</c>, method "linear"). Expected values come from numpy's
/// documentation and from Python's <c>statistics.quantiles(x, n=20, method="inclusive")</c>,
/// which implements the same definition independently.
/// </summary>
public class RateStatisticsTests
{
    private static readonly double[] Unsorted = [0.0156, 0.0139, 0.0208, 0.0174, 0.0192, 0.0135, 0.0171, 0.0215, 0.0163, 0.0181, 0.0149, 0.0203];

    [Fact]
    public void Median_matches_numpy_documentation_example()
    {
        // np.percentile(np.array([[10, 7, 4], [3, 2, 1]]), 50) == 3.5, and per column (axis=0): [6.5, 4.5, 2.5].
        Assert.Equal(3.5, RateStatistics.Percentile([10, 7, 4, 3, 2, 1], 50));
        Assert.Equal(6.5, RateStatistics.Percentile([10, 3], 50));
        Assert.Equal(4.5, RateStatistics.Percentile([7, 2], 50));
        Assert.Equal(2.5, RateStatistics.Percentile([4, 1], 50));
    }

    [Theory]
    // np.percentile(np.arange(1, 11), [5, 95]) == [1.45, 9.55]
    [InlineData(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 1.45, 9.55)]
    // np.percentile([0.1, 0.5, 0.2], [5, 95]) == [0.11, 0.47]
    [InlineData(new double[] { 0.1, 0.5, 0.2 }, 0.11, 0.47)]
    // np.percentile([0, 1], [5, 95]) == [0.05, 0.95]
    [InlineData(new double[] { 0, 1 }, 0.05, 0.95)]
    // One value: every percentile is that value.
    [InlineData(new double[] { 0.3 }, 0.3, 0.3)]
    // Constant series.
    [InlineData(new double[] { 0.2, 0.2, 0.2, 0.2 }, 0.2, 0.2)]
    public void Fifth_and_ninety_fifth_percentiles_match_numpy(double[] series, double p5, double p95)
    {
        Assert.Equal(p5, RateStatistics.Percentile(series, 5), 12);
        Assert.Equal(p95, RateStatistics.Percentile(series, 95), 12);
    }

    [Fact]
    public void Unsorted_series_is_sorted_first()
    {
        // statistics.quantiles(x, n=20, method="inclusive") -> [0.01372, ..., 0.021115]
        Assert.Equal(0.01372, RateStatistics.Percentile(Unsorted, 5), 15);
        Assert.Equal(0.021115, RateStatistics.Percentile(Unsorted, 95), 15);
        Assert.Equal(0.0135, RateStatistics.Percentile(Unsorted, 0));
        Assert.Equal(0.0215, RateStatistics.Percentile(Unsorted, 100));
    }

    [Fact]
    public void Mean_and_population_variance_match_numpy()
    {
        // np.mean / np.var (ddof=0); statistics.fmean / statistics.pvariance agree.
        Assert.Equal(0.01738333333333333, RateStatistics.Mean(Unsorted), 15);
        Assert.Equal(6.563055555555554e-06, RateStatistics.Variance(Unsorted), 15);
        Assert.Equal(5.5, RateStatistics.Mean([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        Assert.Equal(8.25, RateStatistics.Variance([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        Assert.Equal(0.25, RateStatistics.Variance([0, 1]));
        Assert.Equal(0, RateStatistics.Variance([0.25, 0.25, 0.25]));
    }

    [Fact]
    public void Summary_is_p5_mean_p95_variance()
    {
        var summary = RateStatistics.Summarize([0.1, 0.5, 0.2]);
        Assert.Equal(0.11, summary.Min, 12);
        Assert.Equal(0.26666666666666666, summary.Mean, 15);
        Assert.Equal(0.47, summary.Max, 12);
        Assert.Equal(0.028888888888888888, summary.Var, 15);
    }

    [Fact]
    public void Interpolated_percentiles_stay_between_their_neighbours()
    {
        // numpy interpolates from the nearer rank, so no rounding escapes [a, b].
        var random = new Random(7);
        for (int i = 0; i < 1000; i++)
        {
            var series = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.NextDouble()).ToArray();
            double q = random.NextDouble() * 100;
            double p = RateStatistics.Percentile(series, q);
            Assert.InRange(p, series.Min(), series.Max());
        }
    }

    [Fact]
    public void Empty_series_and_bad_percentiles_throw()
    {
        Assert.Throws<ArgumentException>(() => RateStatistics.Percentile([], 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => RateStatistics.Percentile([1], 101));
        Assert.Throws<ArgumentOutOfRangeException>(() => RateStatistics.Percentile([1], double.NaN));
    }
}
