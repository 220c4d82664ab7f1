using System.Globalization;
using System.Text.RegularExpressions;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Yaml;

/// <summary>
/// What the readers of Phoebe's YAML files (profiles, scenarios) share: typed field lookups that report
/// every problem as a diagnostic with its span (the generic codes of <see cref="ProfileDiagnostics"/>:
/// missing, unknown and duplicate fields, wrong types, values out of range, durations) and go on.
/// </summary>
internal abstract partial class YamlBinder(SourceText source)
{
    protected readonly SourceText source = source;
    protected readonly DiagnosticBag bag = new();

    /// <summary>What kind of file this is, for messages: "profile", "scenario".</summary>
    protected abstract string Kind { get; }

    /// <summary>The page that describes the format: "docs/profile.md".</summary>
    protected abstract string Docs { get; }

    /// <summary>
    /// Reads the document's root mapping and checks its <c>version</c> field against <paramref name="currentVersion"/>.
    /// Returns the root's fields, or null after reporting why there is nothing more to read: NUL bytes, invalid
    /// YAML, an empty file, a root that is not a mapping, or another version (whose fields mean other things:
    /// checking them against this one would only add noise).
    /// </summary>
    protected Fields? ReadRoot(string[] rootFields, int currentVersion, DiagnosticDescriptor unsupportedVersion, string newerHint)
    {
        int nul = source.Text.AsSpan(0, Math.Min(source.Text.Length, 8192)).IndexOf('\0');
        if (nul >= 0)
        {
            bag.Report(ProfileDiagnostics.InvalidYaml, source, new TextSpan(nul, 1), $"this file contains NUL bytes: it is not a YAML {Kind}");
            return null;
        }
        var root = YamlTreeReader.Read(source, bag, $"a {Kind}");
        if (root is null)
        {
            if (!bag.HasErrors)
            {
                bag.Report(ProfileDiagnostics.MissingField, source, default, $"the {Kind} is empty",
                    $"a {Kind} starts with `version: {currentVersion}`; {Docs} describes the format");
            }
            return null;
        }
        if (root is not YamlMapping map)
        {
            bag.Report(ProfileDiagnostics.WrongType, source, root.Span, $"a {Kind} is a mapping of fields (`version`, `target`, ...), not {root.Describe()}",
                $"{Docs} describes the format");
            return null;
        }
        var fields = new Fields(this, map, $"the {Kind}", rootFields, caretOnly: true);
        var versionNode = fields.Required("version");
        long? version = Integer(versionNode, "version", min: 0);
        if (version is not null && version != currentVersion)
        {
            bag.Report(unsupportedVersion, source, versionNode!.Span,
                $"this is a version {version} {Kind}; this Phoebe reads version {currentVersion}",
                version > currentVersion ? newerHint : $"write `version: {currentVersion}`");
            return null;
        }
        return fields;
    }

    /// <summary>The diagnostics so far, in reading order: by position, with "too many errors" last.</summary>
    protected IReadOnlyList<Diagnostic> OrderedDiagnostics() =>
        // Checks run field by field; users read top to bottom.
        bag.Items
            .Select((d, i) => (d, i))
            .OrderBy(x => x.d.Code == DiagnosticCatalog.TooManyErrors.Code ? 1 : 0)
            .ThenBy(x => x.d.Span.Start)
            .ThenBy(x => x.i)
            .Select(x => x.d)
            .ToArray();

    // ------------------------------------------------------------------ names

    protected string? SyscallName(YamlNode? node, string field)
    {
        string? name = Text(node, field);
        if (name is null) return null;
        if (SyscallTable.Lookup(name) is not null) return name;
        var hints = new List<string>();
        if (Suggestions.Closest(name, SyscallTable.All.Select(s => s.Name)) is { } closest) hints.Add($"did you mean `{closest}`?");
        bag.Report(ProfileDiagnostics.UnknownSyscall, source, node!.Span, $"unknown syscall `{name}`", hints.ToArray());
        return null;
    }

    protected ErrnoInfo? ErrnoName(YamlNode? node)
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

    protected long? Integer(YamlNode? node, string field, long min)
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

    protected double? Number(YamlNode? node, string field)
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

    protected double? Fraction(YamlNode? node, string field)
    {
        double? value = Number(node, field);
        if (value is null or (>= 0 and <= 1)) return value;
        var hints = value is > 1 and <= 100 ? new[] { $"a rate is a fraction of calls: write {Show(value.Value / 100)} for {Show(value.Value)}%" } : [];
        bag.Report(ProfileDiagnostics.OutOfRange, source, node!.Span, $"`{field}` is {Show(value.Value)}, but a rate is between 0 and 1", hints);
        return null;
    }

    protected string? Text(YamlNode? node, string field)
    {
        if (node is null) return null;
        if (node is YamlScalar s && !s.IsNull && s.Value.Length > 0) return s.Value;
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be a name, not {node.Describe()}");
        return null;
    }

    protected TimeSpan? Duration(YamlNode? node, string field)
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

    protected YamlMapping? Mapping(YamlNode? node, string what, string example)
    {
        if (node is null) return null;
        if (node is YamlMapping map) return map;
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"{what} must be a mapping such as {example}, not {node.Describe()}");
        return null;
    }

    protected YamlSequence? Sequence(YamlNode? node, string field, string what)
    {
        if (node is null) return null;
        if (node is YamlSequence list) return list;
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be {what}, not {node.Describe()}");
        return null;
    }

    protected static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    /// <summary>The fields of one mapping: required and optional lookups, then the unknown ones.</summary>
    protected sealed class Fields(YamlBinder binder, YamlMapping map, string where, string[] allowed, bool caretOnly = false)
    {
        /// <summary>The mapping read.</summary>
        public YamlMapping Map => map;

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
