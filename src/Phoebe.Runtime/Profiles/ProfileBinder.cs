using System.Globalization;
using System.Text.RegularExpressions;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Profiles;

/// <summary>Turns the YAML tree into a <see cref="Profile"/>, checking every field and the cross-references.</summary>
internal sealed partial class ProfileBinder(SourceText text)
{
    private readonly SourceText source = text;

    private static readonly string[] RootFields = ["version", "target", "interval", "intervals", "syscalls", "errors"];
    private static readonly string[] SyscallFields = ["name", "calls"];
    private static readonly string[] ErrorFields = ["syscall", "errno", "count", "rate", "series"];
    private static readonly string[] RateFields = ["min", "mean", "max", "var"];

    // A variance of values in [0, 1] is at most 1/4 (half the values at 0, half at 1).
    private const double MaxVariance = 0.25;

    private readonly DiagnosticBag bag = new();

    private sealed record ListedSyscall(SyscallCalls Value, YamlNode CallsNode);

    public ProfileReadResult Bind()
    {
        int nul = source.Text.AsSpan(0, Math.Min(source.Text.Length, 8192)).IndexOf('\0');
        if (nul >= 0)
        {
            bag.Report(ProfileDiagnostics.InvalidYaml, source, new TextSpan(nul, 1), "this file contains NUL bytes: it is not a YAML profile");
            return Result(null);
        }
        var root = YamlTreeReader.Read(source, bag);
        if (root is null)
        {
            if (!bag.HasErrors)
            {
                bag.Report(ProfileDiagnostics.MissingField, source, default, "the profile is empty",
                    "a profile starts with `version: 1`; docs/profile.md describes the format");
            }
            return Result(null);
        }
        if (root is not YamlMapping map)
        {
            bag.Report(ProfileDiagnostics.WrongType, source, root.Span, $"a profile is a mapping of fields (`version`, `target`, ...), not {root.Describe()}",
                "docs/profile.md describes the format");
            return Result(null);
        }

        var fields = new Fields(this, map, "the profile", RootFields, caretOnly: true);
        var versionNode = fields.Required("version");
        long? version = Integer(versionNode, "version", min: 0);
        if (version is not null && version != Profile.CurrentVersion)
        {
            // Another version's fields mean other things: checking them against version 1 would only add noise.
            bag.Report(ProfileDiagnostics.UnsupportedVersion, source, versionNode!.Span,
                $"this is a version {version} profile; this Phoebe reads version {Profile.CurrentVersion}",
                version > Profile.CurrentVersion ? "update Phoebe, or write the profile again with this version's `phoebe observe`" : $"write `version: {Profile.CurrentVersion}`");
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

    private ProfileReadResult Result(Profile? profile)
    {
        // Checks run field by field; users read top to bottom.
        var ordered = bag.Items
            .Select((d, i) => (d, i))
            .OrderBy(x => x.d.Code == DiagnosticCatalog.TooManyErrors.Code ? 1 : 0)
            .ThenBy(x => x.d.Span.Start)
            .ThenBy(x => x.i)
            .Select(x => x.d)
            .ToArray();
        return new ProfileReadResult(source, profile, ordered);
    }

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

    // ------------------------------------------------------------------ names

    private string? SyscallName(YamlNode? node, string field)
    {
        string? name = Text(node, field);
        if (name is null) return null;
        if (SyscallTable.Lookup(name) is not null) return name;
        var hints = new List<string>();
        if (Suggestions.Closest(name, SyscallTable.All.Select(s => s.Name)) is { } closest) hints.Add($"did you mean `{closest}`?");
        bag.Report(ProfileDiagnostics.UnknownSyscall, source, node!.Span, $"unknown syscall `{name}`", hints.ToArray());
        return null;
    }

    private ErrnoInfo? ErrnoName(YamlNode? node)
    {
        string? name = Text(node, "errno");
        if (name is null) return null;
        if (ErrnoCatalog.Lookup(name) is { } errno) return errno;
        var hints = new List<string>();
        if (Suggestions.Closest(name, ErrnoCatalog.All.Select(e => e.Name)) is { } closest) hints.Add($"did you mean `{closest}`?");
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && ErrnoCatalog.ByNumber(number) is { } byNumber)
        {
            hints.Add($"errnos are written by name: {number} is `{byNumber.Name}`");
        }
        bag.Report(ProfileDiagnostics.UnknownErrno, source, node!.Span, $"unknown errno `{name}`", hints.ToArray());
        return null;
    }

    // ------------------------------------------------------------------ values

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerSyntax();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatSyntax();

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]+)?)(?<unit>ns|us|µs|ms|s|m|h)$")]
    private static partial Regex DurationSyntax();

    private long? Integer(YamlNode? node, string field, long min)
    {
        if (node is null) return null;
        if (node is not YamlScalar { Plain: true } s || !IntegerSyntax().IsMatch(s.Value))
        {
            bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be a whole number, not {node.Describe()}");
            return null;
        }
        if (!long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            bag.Report(ProfileDiagnostics.OutOfRange, source, node.Span, $"`{field}` is too large");
            return null;
        }
        if (value < min)
        {
            bag.Report(ProfileDiagnostics.OutOfRange, source, node.Span,
                min == 0 ? $"`{field}` is {value}, but it counts things: it cannot be negative" : $"`{field}` is {value}, but it must be at least {min}");
            return null;
        }
        return value;
    }

    private double? Number(YamlNode? node, string field)
    {
        if (node is null) return null;
        if (node is not YamlScalar { Plain: true } s || !FloatSyntax().IsMatch(s.Value))
        {
            bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be a number, not {node.Describe()}");
            return null;
        }
        double value = double.Parse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            bag.Report(ProfileDiagnostics.OutOfRange, source, node.Span, $"`{field}` is too large");
            return null;
        }
        return value;
    }

    private double? Fraction(YamlNode? node, string field)
    {
        double? value = Number(node, field);
        if (value is null or (>= 0 and <= 1)) return value;
        var hints = value is > 1 and <= 100 ? new[] { $"a rate is a fraction of calls: write {Show(value.Value / 100)} for {Show(value.Value)}%" } : [];
        bag.Report(ProfileDiagnostics.OutOfRange, source, node!.Span, $"`{field}` is {Show(value.Value)}, but a rate is between 0 and 1", hints);
        return null;
    }

    private string? Text(YamlNode? node, string field)
    {
        if (node is null) return null;
        if (node is YamlScalar s && !s.IsNull && s.Value.Length > 0) return s.Value;
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be a name, not {node.Describe()}");
        return null;
    }

    private TimeSpan? Duration(YamlNode? node, string field)
    {
        if (node is null) return null;
        var match = node is YamlScalar s ? DurationSyntax().Match(s.Value) : Match.Empty;
        if (!match.Success)
        {
            bag.Report(ProfileDiagnostics.InvalidDuration, source, node.Span, $"`{field}` must be a duration such as `15s`, not {node.Describe()}",
                "units: ns, us, ms, s, m (minutes), h");
            return null;
        }
        decimal number = decimal.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture);
        decimal ticksPerUnit = match.Groups["unit"].Value switch
        {
            "ns" => 0.01m,
            "us" or "µs" => TimeSpan.TicksPerMicrosecond,
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            _ => TimeSpan.TicksPerHour,
        };
        decimal ticks = number * ticksPerUnit;
        if (ticks < 1 || ticks > TimeSpan.MaxValue.Ticks)
        {
            bag.Report(ProfileDiagnostics.InvalidDuration, source, node.Span,
                ticks < 1 ? $"`{field}` must be positive and at least 100ns, not {node.Describe()}" : $"`{field}` is too long");
            return null;
        }
        return TimeSpan.FromTicks((long)Math.Round(ticks));
    }

    private YamlMapping? Mapping(YamlNode? node, string what, string example)
    {
        if (node is null) return null;
        if (node is YamlMapping map) return map;
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"{what} must be a mapping such as {example}, not {node.Describe()}");
        return null;
    }

    private YamlSequence? Sequence(YamlNode? node, string field, string what)
    {
        if (node is null) return null;
        if (node is YamlSequence list) return list;
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be {what}, not {node.Describe()}");
        return null;
    }

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    /// <summary>The fields of one mapping: required and optional lookups, then the unknown ones.</summary>
    private sealed class Fields(ProfileBinder binder, YamlMapping map, string where, string[] allowed, bool caretOnly = false)
    {
        private readonly HashSet<string> asked = new(StringComparer.Ordinal);

        public YamlNode? Required(string name)
        {
            var node = Optional(name);
            if (node is null)
            {
                var span = caretOnly ? new TextSpan(map.Span.Start, 0) : map.Span;
                binder.bag.Report(ProfileDiagnostics.MissingField, binder.source, span, $"{where} has no `{name}`");
            }
            return node;
        }

        public YamlNode? Optional(string name)
        {
            asked.Add(name);
            foreach (var (key, value) in map.Entries)
            {
                if (key.Value == name) return value;
            }
            return null;
        }

        public void ReportUnknown()
        {
            foreach (var (key, _) in map.Entries)
            {
                if (allowed.Contains(key.Value, StringComparer.Ordinal)) continue;
                var hints = new List<string>();
                // Suggest only fields not given already: `sereis` next to `series` is a duplicate, not a typo of it.
                var candidates = allowed.Where(a => !map.Entries.Any(e => e.Key.Value == a));
                if (Suggestions.Closest(key.Value, candidates) is { } closest) hints.Add($"did you mean `{closest}`?");
                hints.Add($"fields of {where}: {string.Join(", ", allowed)}");
                binder.bag.Report(ProfileDiagnostics.UnknownField, binder.source, key.Span, $"unknown field `{key.Value}` in {where}", hints.ToArray());
            }
        }
    }
}
