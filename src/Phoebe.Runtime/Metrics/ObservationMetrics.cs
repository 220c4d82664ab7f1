using System.Globalization;
using System.Text;
using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Monitoring;

namespace Phoebe.Runtime.Metrics;

/// <summary>
/// The metrics of a running <c>phoebe observe</c>, <c>phoebe run</c> or <c>phoebe attach</c>, in Prometheus text
/// exposition format 0.0.4 (docs/metrics.md): fed one interval at a time (<see cref="Add(SyscallCounts)"/>) and
/// rendered on each scrape (<see cref="Render"/>). Thread-safe: the interval loop adds while the HTTP server renders.
/// </summary>
/// <remarks>
/// Counters are cumulative since the start. The natural counts (what the eBPF monitor saw the kernel return) carry
/// <c>injected="false"</c>; with an injection engine (<see cref="Add(SyscallCounts?, InjectionCounts?)"/>) the
/// calls and errors its rules made carry <c>injected="true"</c>, and the per-rule counters are rendered too.
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
    // The last reading of the injection engine (cumulative), null without one; and its derived totals.
    private InjectionCounts? injection;
    private IReadOnlyDictionary<(string Syscall, string Errno), long> injectedErrors = new Dictionary<(string, string), long>();
    private IReadOnlyDictionary<string, long> injectedCalls = new Dictionary<string, long>();

    /// <summary>
    /// Adds one completed interval: what one <see cref="SyscallMonitor.Collect"/> returned. Calls whose syscall or
    /// errno number has no name in Phoebe's catalog are left out (as <see cref="Observation"/> does).
    /// </summary>
    public void Add(SyscallCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        Add(counts, null);
    }

    /// <summary>
    /// Adds one completed interval of a run with injection: the monitor's counts of the interval
    /// (<paramref name="natural"/>; null when there is no monitor) and a reading of the engine's counters taken at
    /// the end of the interval, before the monitor's (<paramref name="injected"/>, cumulative; null without an
    /// engine). The error rate of the interval counts both: natural and injected errors among the calls the kernel
    /// ran plus those a rule answered at entry. Without <paramref name="natural"/> no rate is computed (the calls
    /// are unknown) and <c>phoebe_observe_intervals_total</c> does not advance.
    /// </summary>
    public void Add(SyscallCounts? natural, InjectionCounts? injected)
    {
        var intervalCalls = new Dictionary<string, long>(StringComparer.Ordinal);
        var intervalErrors = new Dictionary<(string, string), long>();
        var named = new List<(string Syscall, SyscallCounter Counter)>();
        foreach (var c in natural?.Counters ?? [])
        {
            if (c.Count == 0) continue;
            string? syscall = Observation.SyscallName(c.Syscall);
            string? errno = c.Errno == 0 ? "" : ErrnoCatalog.ByNumber(c.Errno)?.Name;
            if (syscall is null || errno is null) continue;
            named.Add((syscall, c));
            intervalCalls[syscall] = intervalCalls.GetValueOrDefault(syscall) + c.Count;
            if (c.Errno != 0) intervalErrors[(syscall, errno)] = intervalErrors.GetValueOrDefault((syscall, errno)) + c.Count;
        }
        var newErrors = injected?.Errors();
        var newCalls = injected?.EntryReturns();
        lock (gate)
        {
            // What the engine did during the interval: the difference of two readings.
            var errorDelta = new Dictionary<(string, string), long>();
            var callDelta = new Dictionary<string, long>(StringComparer.Ordinal);
            if (injected != null)
            {
                foreach (var (key, n) in newErrors!) errorDelta[key] = Math.Max(0, n - injectedErrors.GetValueOrDefault(key));
                foreach (var (key, n) in newCalls!) callDelta[key] = Math.Max(0, n - injectedCalls.GetValueOrDefault(key));
                injection = injected;
                injectedErrors = newErrors;
                injectedCalls = newCalls;
            }
            if (natural is null) return;

            intervals++;
            foreach (var (syscall, c) in named)
            {
                if (!syscalls.TryGetValue(syscall, out var state)) syscalls[syscall] = state = new SyscallState();
                state.Calls += c.Count;
                state.LatencySumNs += c.LatencySumNs;
                for (int i = 0; i < c.Histogram.Count && i < state.Histogram.Length; i++) state.Histogram[i] += c.Histogram[i];
            }
            foreach (var (key, n) in intervalErrors) errors[key] = errors.GetValueOrDefault(key) + n;
            // The rate of the last completed interval, as the program saw it: 0 for an error seen before that did
            // not occur in it.
            foreach (var key in errors.Keys.Concat(injectedErrors.Keys))
            {
                long calls = intervalCalls.GetValueOrDefault(key.Syscall) + callDelta.GetValueOrDefault(key.Syscall);
                long failed = intervalErrors.GetValueOrDefault(key) + errorDelta.GetValueOrDefault(key);
                rates[key] = calls == 0 ? 0 : (double)failed / calls;
            }
        }
    }

    /// <summary>The exposition text of everything added so far (<see cref="ContentType"/>).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        lock (gate)
        {
            Header(text, "phoebe_observe_intervals_total", "counter", "Intervals of natural counts collected since the start.");
            text.Append("phoebe_observe_intervals_total ").Append(Integer(intervals)).Append('\n');

            Header(text, "phoebe_syscalls_total", "counter",
                "Calls of each syscall since the start: injected=\"false\" those the kernel ran, succeeded or failed; injected=\"true\" those a rule answered at entry instead.");
            var calls = syscalls.Select(kv => (Syscall: kv.Key, Injected: false, Count: kv.Value.Calls))
                .Concat(injectedCalls.Select(kv => (Syscall: kv.Key, Injected: true, Count: kv.Value)))
                .OrderBy(x => x.Syscall, StringComparer.Ordinal).ThenBy(x => x.Injected);
            foreach (var (syscall, injected, n) in calls)
            {
                text.Append("phoebe_syscalls_total{syscall=\"").Append(EscapeLabel(syscall)).Append("\",injected=\"").Append(Bool(injected)).Append("\"} ")
                    .Append(Integer(n)).Append('\n');
            }

            Header(text, "phoebe_syscall_errors_total", "counter",
                "Calls of each syscall that failed with each errno since the start: injected=\"false\" as the kernel returned them, injected=\"true\" as a rule returned them.");
            var failed = errors.Select(kv => (Key: kv.Key, Injected: false, Count: kv.Value))
                .Concat(injectedErrors.Select(kv => (Key: kv.Key, Injected: true, Count: kv.Value)))
                .OrderBy(x => x.Key, ErrorKeyComparer.Instance).ThenBy(x => x.Injected);
            foreach (var ((syscall, errno), injected, n) in failed)
            {
                text.Append("phoebe_syscall_errors_total{syscall=\"").Append(EscapeLabel(syscall)).Append("\",errno=\"").Append(EscapeLabel(errno))
                    .Append("\",injected=\"").Append(Bool(injected)).Append("\"} ").Append(Integer(n)).Append('\n');
            }

            Header(text, "phoebe_syscall_error_rate", "gauge",
                "Failures with each errno among the calls of the syscall in the last completed interval, as the program saw them: natural and injected.");
            foreach (var ((syscall, errno), rate) in rates)
                text.Append("phoebe_syscall_error_rate").Append(Labels(syscall, errno)).Append(' ').Append(Float(rate)).Append('\n');

            Header(text, "phoebe_syscall_latency_seconds", "histogram", "Latency of each syscall the kernel ran, from entry to exit, succeeded or failed.");
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

            if (injection != null) RenderRules(text, injection);
        }
        return text.ToString();
    }

    private static void RenderRules(StringBuilder text, InjectionCounts injection)
    {
        Header(text, "phoebe_rule_calls_total", "counter", "Calls of the rule's syscalls seen while it was enabled.");
        foreach (var rule in injection.Rules)
            text.Append("phoebe_rule_calls_total{rule=\"").Append(EscapeLabel(rule.Rule)).Append("\"} ").Append(Integer(rule.Calls)).Append('\n');

        Header(text, "phoebe_rule_matched_total", "counter", "Calls of the rule's syscalls whose conditions held.");
        foreach (var rule in injection.Rules)
            text.Append("phoebe_rule_matched_total{rule=\"").Append(EscapeLabel(rule.Rule)).Append("\"} ").Append(Integer(rule.Matched)).Append('\n');

        Header(text, "phoebe_rule_injections_total", "counter", "Times the rule acted on calls of each syscall: returned, delayed, signalled or logged.");
        foreach (var rule in injection.Rules)
        {
            foreach (var s in rule.Syscalls)
            {
                text.Append("phoebe_rule_injections_total{rule=\"").Append(EscapeLabel(rule.Rule)).Append("\",syscall=\"").Append(EscapeLabel(s.Syscall))
                    .Append("\"} ").Append(Integer(s.Injections)).Append('\n');
            }
        }

        Header(text, "phoebe_rule_errors_total", "counter", "Calls of each syscall that failed with the errno the rule returns, because the rule returned it.");
        foreach (var rule in injection.Rules)
        {
            if (InjectionCounts.ErrnoOf(rule.ReturnValue) is not { } errno) continue;
            foreach (var s in rule.Syscalls)
            {
                text.Append("phoebe_rule_errors_total{rule=\"").Append(EscapeLabel(rule.Rule)).Append("\",syscall=\"").Append(EscapeLabel(s.Syscall))
                    .Append("\",errno=\"").Append(EscapeLabel(errno)).Append("\"} ").Append(Integer(s.Returns)).Append('\n');
            }
        }
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

    private static string Bool(bool b) => b ? "true" : "false";

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
