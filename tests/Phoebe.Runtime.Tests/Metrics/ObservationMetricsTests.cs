using Phoebe.Runtime.Metrics;
using Phoebe.Runtime.Monitoring;

namespace Phoebe.Runtime.Tests.Metrics;

/// <summary>The Prometheus text exposition of <c>phoebe observe --metrics</c> on made-up counts.</summary>
public sealed class ObservationMetricsTests
{
    private const int ENOENT = 2, EBADF = 9;

    private static int Nr(string name) =>
        Enumerable.Range(0, 1024).First(n => Observation.SyscallName(n) == name);

    /// <summary>A counter with <paramref name="buckets"/> as (bucket index, calls) pairs.</summary>
    private static SyscallCounter C(string syscall, int errno, long sumNs, params (int Bucket, long Calls)[] buckets)
    {
        var histogram = new long[SyscallMonitor.HistogramBuckets];
        foreach (var (bucket, calls) in buckets) histogram[bucket] += calls;
        return new SyscallCounter(Nr(syscall), errno, histogram.Sum(), sumNs, histogram);
    }

    [Fact]
    public void Renders_counters_rates_and_histograms_exactly()
    {
        var metrics = new ObservationMetrics();
        metrics.Add(new SyscallCounts([C("openat", 0, 2525, (0, 1), (10, 2)), C("openat", ENOENT, 3_000_000_000, (31, 1))], 0, 0));
        // The second interval: openat succeeds only (its rate drops to 0), close fails 3 times in 4.
        metrics.Add(new SyscallCounts([C("openat", 0, 2, (1, 1)), C("close", 0, 40, (5, 1)), C("close", EBADF, 30, (3, 3))], 0, 0));

        const string Expected = """
# HELP phoebe_observe_intervals_total Intervals of natural counts collected since the start.
# TYPE phoebe_observe_intervals_total counter
phoebe_observe_intervals_total 2
# HELP phoebe_syscalls_total Calls of each syscall since the start: injected="false" those the kernel ran, succeeded or failed; injected="true" those a rule answered at entry instead.
# TYPE phoebe_syscalls_total counter
phoebe_syscalls_total{syscall="close",injected="false"} 4
phoebe_syscalls_total{syscall="openat",injected="false"} 5
# HELP phoebe_syscall_errors_total Calls of each syscall that failed with each errno since the start: injected="false" as the kernel returned them, injected="true" as a rule returned them.
# TYPE phoebe_syscall_errors_total counter
phoebe_syscall_errors_total{syscall="close",errno="EBADF",injected="false"} 3
phoebe_syscall_errors_total{syscall="openat",errno="ENOENT",injected="false"} 1
# HELP phoebe_syscall_error_rate Failures with each errno among the calls of the syscall in the last completed interval, as the program saw them: natural and injected.
# TYPE phoebe_syscall_error_rate gauge
phoebe_syscall_error_rate{syscall="close",errno="EBADF"} 0.75
phoebe_syscall_error_rate{syscall="openat",errno="ENOENT"} 0
# HELP phoebe_syscall_latency_seconds Latency of each syscall the kernel ran, from entry to exit, succeeded or failed.
# TYPE phoebe_syscall_latency_seconds histogram
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000002"} 0
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000004"} 0
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000008"} 0
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000016"} 3
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000032"} 3
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000064"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000128"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000256"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000000512"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000001024"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000002048"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000004096"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000008192"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000016384"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000032768"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000065536"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000131072"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000262144"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.000524288"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.001048576"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.002097152"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.004194304"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.008388608"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.016777216"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.033554432"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.067108864"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.134217728"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.268435456"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="0.536870912"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="1.073741824"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="2.147483648"} 4
phoebe_syscall_latency_seconds_bucket{syscall="close",le="+Inf"} 4
phoebe_syscall_latency_seconds_sum{syscall="close"} 0.00000007
phoebe_syscall_latency_seconds_count{syscall="close"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000002"} 1
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000004"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000008"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000016"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000032"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000064"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000128"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000256"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000000512"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000001024"} 2
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000002048"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000004096"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000008192"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000016384"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000032768"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000065536"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000131072"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000262144"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.000524288"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.001048576"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.002097152"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.004194304"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.008388608"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.016777216"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.033554432"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.067108864"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.134217728"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.268435456"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="0.536870912"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="1.073741824"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="2.147483648"} 4
phoebe_syscall_latency_seconds_bucket{syscall="openat",le="+Inf"} 5
phoebe_syscall_latency_seconds_sum{syscall="openat"} 3.000002527
phoebe_syscall_latency_seconds_count{syscall="openat"} 5
""";
        Assert.Equal(Expected + "\n", metrics.Render());
    }

    [Fact]
    public void Renders_only_the_interval_counter_before_any_call()
    {
        var metrics = new ObservationMetrics();
        string text = metrics.Render();
        Assert.Contains("\nphoebe_observe_intervals_total 0\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE phoebe_syscall_latency_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("{", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openat", "openat")]
    [InlineData("a\"b", "a\\\"b")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("a\nb", "a\\nb")]
    public void Escapes_label_values(string value, string escaped) => Assert.Equal(escaped, ObservationMetrics.EscapeLabel(value));

    [Theory]
    [InlineData(0, "0.000000002")]
    [InlineData(9, "0.000001024")]
    [InlineData(30, "2.147483648")]
    public void Bucket_bounds_are_exact_seconds(int index, string le) => Assert.Equal(le, ObservationMetrics.BucketBound(index));
}
