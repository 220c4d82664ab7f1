using System.Globalization;
using System.Text.RegularExpressions;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Yaml;

namespace Phoebe.Runtime.Profiles;

/// <summary>Turns the YAML tree into a <see cref="Profile"/>, checking every field and the cross-references.</summary>
internal sealed class ProfileBinder(SourceText text) : YamlBinder(text)
{
    private static readonly string[] RootFields = ["version", "target", "interval", "intervals", "syscalls", "errors"];
    private static readonly string[] SyscallFields = ["name", "calls"];
    private static readonly string[] ErrorFields = ["syscall", "errno", "count", "rate", "series"];
    private static readonly string[] RateFields = ["min", "mean", "max", "var"];

    // A variance of values in [0, 1] is at most 1/4 (half the values at 0, half at 1).
    private const double MaxVariance = 0.25;

    private sealed record ListedSyscall(SyscallCalls Value, YamlNode CallsNode);

    protected override string Kind => "profile";

    protected override string Docs => "docs/profile.md";

    public ProfileReadResult Bind()
    {
        if (ReadRoot(RootFields, Profile.CurrentVersion, ProfileDiagnostics.UnsupportedVersion,
                "update Phoebe, or write the profile again with this version's `phoebe observe`") is not { } fields)
        {
            return Result(null);
        }
        string? target = Text(fields.Required("target"), "target");
        TimeSpan? interval = Duration(fields.Required("interval"), "interval");
        long? intervals = Integer(fields.Required("intervals"), "intervals", min: 1);
        var syscalls = ReadSyscalls(fields.Required("syscalls"));
        var errors = ReadErrors(fields.Required("errors"), syscalls, intervals);
        fields.ReportUnknown();

        if (bag.HasErrors) return Result(null);
        return Result(new Profile(Profile.CurrentVersion, target!, interval!.Value, intervals!.Value,
            syscalls!.Values.Select(s => s.Value).ToArray(), errors!));
    }

    private ProfileReadResult Result(Profile? profile) => new(source, profile, OrderedDiagnostics());

    // ------------------------------------------------------------------ syscalls

    private Dictionary<string, ListedSyscall>? ReadSyscalls(YamlNode? node)
    {
        if (Sequence(node, "syscalls", "a list of `{ name, calls }` entries") is not { } list) return null;
        var listed = new Dictionary<string, ListedSyscall>(StringComparer.Ordinal);
        var firstNames = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        bool complete = true;
        foreach (var item in list.Items)
        {
            if (Mapping(item, "an entry of `syscalls`", "`{ name: futex, calls: 1000 }`") is not { } entry)
            {
                complete = false;
                continue;
            }
            var fields = new Fields(this, entry, "this syscall entry", SyscallFields);
            var nameNode = fields.Required("name");
            string? name = SyscallName(nameNode, "name");
            var callsNode = fields.Required("calls");
            long? calls = Integer(callsNode, "calls", min: 0);
            fields.ReportUnknown();
            if (name is null || calls is null)
            {
                complete = false;
                continue;
            }
            if (firstNames.TryGetValue(name, out var first))
            {
                bag.Report(ProfileDiagnostics.DuplicateEntry, source, nameNode!.Span, $"the syscall `{name}` is listed twice",
                    new DiagnosticLabel(source, first.Span, $"`{name}` is first listed here"), "list each syscall once, with its total calls");
                continue;
            }
            firstNames.Add(name, nameNode!);
            listed.Add(name, new ListedSyscall(new SyscallCalls(name, calls.Value), callsNode!));
        }
        // With a broken entry, an error's syscall may be missing only because its entry did not read.
        return complete ? listed : listed.Count > 0 ? listed : null;
    }

    // ------------------------------------------------------------------ errors

    private List<ErrorObservation>? ReadErrors(YamlNode? node, Dictionary<string, ListedSyscall>? syscalls, long? intervals)
    {
        if (Sequence(node, "errors", "a list of `{ syscall, errno, count, rate }` entries (`[]` when there are none)") is not { } list) return null;
        var errors = new List<ErrorObservation>();
        var seen = new Dictionary<(string Syscall, int Errno), YamlMapping>();
        foreach (var item in list.Items)
        {
            if (Mapping(item, "an entry of `errors`", "`{ syscall: futex, errno: ETIMEDOUT, count: 10, rate: {...} }`") is not { } entry) continue;
            var fields = new Fields(this, entry, "this error entry", ErrorFields);
            var syscallNode = fields.Required("syscall");
            string? syscall = SyscallName(syscallNode, "syscall");
            var errnoNode = fields.Required("errno");
            var errno = ErrnoName(errnoNode);
            var countNode = fields.Required("count");
            long? count = Integer(countNode, "count", min: 0);
            var rateNode = fields.Optional("rate");
            var seriesNode = fields.Optional("series");
            RateSummary? rate = rateNode is null ? null : Rate(rateNode);
            var series = seriesNode is null ? null : Series(seriesNode, intervals);
            if (rateNode is null && seriesNode is null)
            {
                bag.Report(ProfileDiagnostics.MissingField, source, entry.Span, "this error entry has neither `rate` nor `series`",
                    "give `rate: { min: ..., mean: ..., max: ..., var: ... }`, or the per-interval rates as `series: [...]`");
            }
            fields.ReportUnknown();

            ListedSyscall? listed = null;
            if (syscall is not null && syscalls is not null && !syscalls.TryGetValue(syscall, out listed))
            {
                bag.Report(ProfileDiagnostics.SyscallNotListed, source, syscallNode!.Span, $"`{syscall}` has errors but `syscalls` does not list it",
                    $"add `- name: {syscall}` with its total `calls` to `syscalls`");
            }
            if (listed is not null && count is not null && count > listed.Value.Calls)
            {
                bag.Report(ProfileDiagnostics.MoreErrorsThanCalls, source, countNode!.Span,
                    $"{count} {errno?.Name ?? "errors"} errors, but `{syscall}` was called only {listed.Value.Calls} times",
                    new DiagnosticLabel(source, listed.CallsNode.Span, $"the calls of `{syscall}`"),
                    "`count` counts failed calls, so it is at most the syscall's `calls`");
            }
            if (rate is not null && series is not null) CompareWithSeries(rateNode!, rate, series);
            if (syscall is not null && errno is not null)
            {
                // Aliases (EWOULDBLOCK for EAGAIN) are the same error.
                var key = (syscall, errno.Number);
                if (seen.TryGetValue(key, out var first))
                {
                    bag.Report(ProfileDiagnostics.DuplicateEntry, source, entry.Span, $"`{syscall}` failing with {errno.Name} is given twice",
                        new DiagnosticLabel(source, first.Span, "first given here"), "give each (syscall, errno) once");
                    continue;
                }
                seen.Add(key, entry);
            }
            if (syscall is not null && errno is not null && count is not null && (rate is not null || series is not null))
            {
                errors.Add(new ErrorObservation(syscall, errno.Name, count.Value, rate, series));
            }
        }
        return errors;
    }

    private RateSummary? Rate(YamlNode node)
    {
        if (Mapping(node, "`rate`", "`{ min: 0.01, mean: 0.02, max: 0.03, var: 0.0001 }`") is not { } map) return null;
        var fields = new Fields(this, map, "`rate`", RateFields);
        var minNode = fields.Required("min");
        double? min = Fraction(minNode, "rate.min");
        double? mean = Fraction(fields.Required("mean"), "rate.mean");
        var maxNode = fields.Required("max");
        double? max = Fraction(maxNode, "rate.max");
        var varNode = fields.Required("var");
        double? var = Number(varNode, "rate.var");
        fields.ReportUnknown();
        if (var is < 0 or > MaxVariance)
        {
            bag.Report(ProfileDiagnostics.OutOfRange, source, varNode!.Span, $"`rate.var` is {Show(var.Value)}, but the variance of rates between 0 and 1 is between 0 and {Show(MaxVariance)}");
            var = null;
        }
        if (min is not null && max is not null && min > max)
        {
            bag.Report(ProfileDiagnostics.MinAboveMax, source, minNode!.Span, $"`rate.min` ({Show(min.Value)}) is greater than `rate.max` ({Show(max.Value)})",
                new DiagnosticLabel(source, maxNode!.Span, "`rate.max` is here"),
                "`min` and `max` are the 5th and 95th percentiles of the per-interval rate: swap them?");
            return null;
        }
        return min is null || mean is null || max is null || var is null ? null : new RateSummary(min.Value, mean.Value, max.Value, var.Value);
    }

    private IReadOnlyList<double>? Series(YamlNode node, long? intervals)
    {
        if (Sequence(node, "series", "a list of per-interval rates, e.g. `[0.01, 0.02]`") is not { } list) return null;
        if (list.Items.Count == 0)
        {
            bag.Report(ProfileDiagnostics.InvalidSeries, source, list.Span, "`series` is empty",
                "give at least one per-interval rate, or leave `series` out and give `rate`");
            return null;
        }
        if (intervals is not null && list.Items.Count > intervals)
        {
            bag.Report(ProfileDiagnostics.InvalidSeries, source, list.Span,
                $"`series` has {list.Items.Count} rates, but the observation has only {intervals} interval{(intervals == 1 ? "" : "s")}",
                "the series has one rate per interval in which the syscall was called");
        }
        var values = new double[list.Items.Count];
        bool ok = true;
        for (int i = 0; i < values.Length; i++)
        {
            double? v = Fraction(list.Items[i], $"series[{i}]");
            if (v is null) ok = false;
            else values[i] = v.Value;
        }
        return ok ? values : null;
    }

    private void CompareWithSeries(YamlNode rateNode, RateSummary rate, IReadOnlyList<double> series)
    {
        var computed = RateStatistics.Summarize(series);
        var differences = new List<string>();
        void Compare(string name, double stated, double actual)
        {
            // Hand-written summaries round; only a real disagreement is worth a warning.
            if (Math.Abs(stated - actual) > 1e-9 + 1e-3 * Math.Max(Math.Abs(stated), Math.Abs(actual)))
            {
                differences.Add($"{name} {Show(stated)} (the series gives {Show(actual)})");
            }
        }
        Compare("min", rate.Min, computed.Min);
        Compare("mean", rate.Mean, computed.Mean);
        Compare("max", rate.Max, computed.Max);
        Compare("var", rate.Var, computed.Var);
        if (differences.Count == 0) return;
        bag.Report(ProfileDiagnostics.RateDisagreesWithSeries, source, rateNode.Span,
            $"`rate` does not summarize `series`: {string.Join(", ", differences)}",
            "synthesis uses the series; min and max are its 5th and 95th percentiles, var its population variance");
    }

}
