using System.Globalization;
using System.Text;
using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Monitoring;

namespace Phoebe.Runtime.Metrics;

/// <summary>
/// The metrics of a running <c>phoebe observe</c>, in Prometheus text exposition format 0.0.4 (docs/metrics.md):
/// fed one interval at a time (<see cref="Add"/>) and rendered on each scrape (<see cref="Render"/>). Thread-safe:
/// the interval loop adds while the HTTP server renders.
/// </summary>
/// <remarks>
/// Counters are cumulative since the start. Every series carries only the labels listed here; injection counters
/// (later, for <c>phoebe run</c>) will be separate series carrying <c>injected="true"</c>.
/// </remarks>
public sealed class ObservationMetrics
{
    /// <summary>The Content-Type of <see cref="Render"/>'s text.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private sealed class SyscallState
    {
        public long Calls;
        public long LatencySumNs;
        public readonly long[] Histogram = new long[SyscallMonitor.HistogramBuckets];
    }

    private readonly object gate = new();
    private readonly SortedDictionary<string, SyscallState> syscalls = new(StringComparer.Ordinal);
    private readonly SortedDictionary<(string Syscall, string Errno), long> errors = new(ErrorKeyComparer.Instance);
    private readonly SortedDictionary<(string Syscall, string Errno), double> rates = new(ErrorKeyComparer.Instance);
    private long intervals;

    /// <summary>
    /// Adds one completed interval: what one <see cref="SyscallMonitor.Collect"/> returned. Calls whose syscall or
    /// errno number has no name in Phoebe's catalog are left out (as <see cref="Observation"/> does).
    /// </summary>
    public void Add(SyscallCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var intervalCalls = new Dictionary<string, long>(StringComparer.Ordinal);
        var intervalErrors = new Dictionary<(string, string), long>();
        var named = new List<(string Syscall, SyscallCounter Counter)>();
        foreach (var c in counts.Counters)
        {
            if (c.Count == 0) continue;
            string? syscall = Observation.SyscallName(c.Syscall);
            string? errno = c.Errno == 0 ? "" : ErrnoCatalog.ByNumber(c.Errno)?.Name;
            if (syscall is null || errno is null) continue;
            named.Add((syscall, c));
            intervalCalls[syscall] = intervalCalls.GetValueOrDefault(syscall) + c.Count;
            if (c.Errno != 0) intervalErrors[(syscall, errno)] = intervalErrors.GetValueOrDefault((syscall, errno)) + c.Count;
        }
        lock (gate)
        {
            intervals++;
            foreach (var (syscall, c) in named)
            {
                if (!syscalls.TryGetValue(syscall, out var state)) syscalls[syscall] = state = new SyscallState();
                state.Calls += c.Count;
                state.LatencySumNs += c.LatencySumNs;
                for (int i = 0; i < c.Histogram.Count && i < state.Histogram.Length; i++) state.Histogram[i] += c.Histogram[i];
            }
            foreach (var (key, n) in intervalErrors) errors[key] = errors.GetValueOrDefault(key) + n;
            // The rate of the last completed interval: 0 for an error seen before that did not occur in it.
            foreach (var key in errors.Keys)
            {
                long calls = intervalCalls.GetValueOrDefault(key.Syscall);
                rates[key] = calls == 0 ? 0 : (double)intervalErrors.GetValueOrDefault(key) / calls;
            }
        }
    }

    /// <summary>The exposition text of everything added so far (<see cref="ContentType"/>).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        lock (gate)
        {
            Header(text, "phoebe_observe_intervals_total", "counter", "Intervals observed since the start.");
            text.Append("phoebe_observe_intervals_total ").Append(Integer(intervals)).Append('\n');

            Header(text, "phoebe_syscalls_total", "counter", "Calls of each syscall since the start, succeeded or failed.");
            foreach (var (syscall, state) in syscalls)
                text.Append("phoebe_syscalls_total{syscall=\"").Append(EscapeLabel(syscall)).Append("\"} ").Append(Integer(state.Calls)).Append('\n');

            Header(text, "phoebe_syscall_errors_total", "counter", "Calls of each syscall that failed with each errno, since the start.");
            foreach (var ((syscall, errno), n) in errors)
                text.Append("phoebe_syscall_errors_total").Append(Labels(syscall, errno)).Append(' ').Append(Integer(n)).Append('\n');

            Header(text, "phoebe_syscall_error_rate", "gauge", "Failures with each errno among the calls of the syscall in the last completed interval.");
            foreach (var ((syscall, errno), rate) in rates)
                text.Append("phoebe_syscall_error_rate").Append(Labels(syscall, errno)).Append(' ').Append(Float(rate)).Append('\n');

            Header(text, "phoebe_syscall_latency_seconds", "histogram", "Latency of each syscall from entry to exit, succeeded or failed.");
            foreach (var (syscall, state) in syscalls)
            {
                string name = EscapeLabel(syscall);
                long cumulative = 0;
                // Bucket i holds [2^i, 2^(i+1)) ns; the last one everything above: le is the upper bound in seconds.
                for (int i = 0; i < state.Histogram.Length - 1; i++)
                {
                    cumulative += state.Histogram[i];
                    text.Append("phoebe_syscall_latency_seconds_bucket{syscall=\"").Append(name).Append("\",le=\"")
                        .Append(BucketBound(i)).Append("\"} ").Append(Integer(cumulative)).Append('\n');
                }
                text.Append("phoebe_syscall_latency_seconds_bucket{syscall=\"").Append(name).Append("\",le=\"+Inf\"} ").Append(Integer(state.Calls)).Append('\n');
                text.Append("phoebe_syscall_latency_seconds_sum{syscall=\"").Append(name).Append("\"} ")
                    .Append(((decimal)state.LatencySumNs / 1_000_000_000m).ToString(CultureInfo.InvariantCulture)).Append('\n');
                text.Append("phoebe_syscall_latency_seconds_count{syscall=\"").Append(name).Append("\"} ").Append(Integer(state.Calls)).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>The <c>le</c> of latency bucket <paramref name="index"/>: 2^(index+1) ns in seconds, exactly.</summary>
    public static string BucketBound(int index) =>
        ((decimal)(1L << (index + 1)) / 1_000_000_000m).ToString(CultureInfo.InvariantCulture);

    /// <summary>A label value escaped for the exposition format: backslash, double quote and line feed.</summary>
    public static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Labels(string syscall, string errno) => $"{{syscall=\"{EscapeLabel(syscall)}\",errno=\"{EscapeLabel(errno)}\"}}";

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ')
            .Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static string Integer(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Float(double x) =>
        double.IsNaN(x) ? "NaN" : double.IsPositiveInfinity(x) ? "+Inf" : double.IsNegativeInfinity(x) ? "-Inf" : x.ToString("R", CultureInfo.InvariantCulture);

    private sealed class ErrorKeyComparer : IComparer<(string Syscall, string Errno)>
    {
        public static readonly ErrorKeyComparer Instance = new();

        public int Compare((string Syscall, string Errno) x, (string Syscall, string Errno) y)
        {
            int c = string.CompareOrdinal(x.Syscall, y.Syscall);
            return c != 0 ? c : string.CompareOrdinal(x.Errno, y.Errno);
        }
    }
}
