using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Phoebe.Lang;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Synthesis;
using Phoebe.Runtime.Yaml;

namespace Phoebe.Runtime.Scenarios;

/// <summary>
/// Turns a scenario's YAML into a <see cref="Scenario"/>: every field is checked, every referenced file is
/// loaded (the .phb files compiled together, the profile read) and every name is resolved against them.
/// </summary>
internal sealed class ScenarioBinder(SourceText text) : YamlBinder(text)
{
    private static readonly string[] RootFields =
        ["version", "name", "target", "rules", "health", "profile", "observe", "steady-state", "experiments", "defaults", "synthesize",
         "post-inspection", "abort", "load", "report"];
    private static readonly string[] TargetFields = ["command", "workdir", "env", "build", "ready", "restart", "stop"];
    private static readonly string[] ReadyFields = ["tcp", "check", "delay", "timeout"];
    private static readonly string[] StopFields = ["signal", "timeout"];
    private static readonly string[] SteadyFields = ["duration", "checks", "tolerance"];
    private static readonly string[] PhaseFields = ["duration", "checks"];
    private static readonly string[] ExperimentFields = ["name", "rules", "duration", "cooldown"];
    private static readonly string[] DefaultsFields = ["duration", "cooldown"];
    private static readonly string[] SynthesizeFields =
        ["amplification", "sporadic-threshold", "sporadic-rate", "variance-threshold", "phase", "random-baseline", "duration", "cooldown"];
    private static readonly string[] ObserveFields = ["duration", "interval"];
    private static readonly string[] AbortFields = ["crashes"];
    private static readonly string[] LoadFields = ["command"];
    private static readonly string[] ReportFields = ["formats", "allow"];
    private static readonly string[] Formats = ["md", "json", "html"];

    private static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultCooldown = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan DefaultSteadyState = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultPostInspection = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(5);
    private const double DefaultTolerance = 0.05;
    private const int SIGTERM = 15;

    private string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(source.Path)) ?? "/";

    private sealed record NamedRef(string Name, YamlNode Node);

    protected override string Kind => "scenario";

    protected override string Docs => "docs/scenarios.md";

    private IReadOnlyList<CompiledHealthCheck> checks = [];

    public ScenarioReadResult Bind()
    {
        if (ReadRoot(RootFields, Scenario.CurrentVersion, ScenarioDiagnostics.UnsupportedVersion, "update Phoebe") is not { } fields) return Result(null);
        var map = fields.Map;
        string name = fields.Optional("name") is { } nameNode ? Text(nameNode, "name") ?? "" : System.IO.Path.GetFileNameWithoutExtension(source.Path);

        // The .phb files first: the target's readiness check and the experiments refer to their names.
        var phbRefs = new List<(string Path, YamlNode Node)>();
        var ruleFiles = FileList(fields.Optional("rules"), "rules");
        phbRefs.AddRange(ruleFiles);
        phbRefs.AddRange(FileList(fields.Optional("health"), "health"));
        var plan = CompilePhb(phbRefs);

        var checkRefs = new List<NamedRef>();
        var target = Target(fields.Required("target"), checkRefs);

        Profile? profile = null;
        var profileNode = fields.Optional("profile");
        string? profilePath = profileNode is null ? null : FilePath(profileNode, "profile");
        if (profilePath is not null) profile = ReadProfile(profilePath, profileNode!);
        var observeNode = fields.Optional("observe");
        ObserveSpec? observe = observeNode is null ? null : Observe(observeNode);

        var steadyNode = fields.Optional("steady-state");
        var (steady, tolerance) = SteadyState(steadyNode, checkRefs);

        var (defaultDuration, defaultCooldown) = Defaults(fields.Optional("defaults"));
        var experimentsNode = fields.Optional("experiments");
        var experimentRefs = experimentsNode is null ? [] : Experiments(experimentsNode, defaultDuration, defaultCooldown);

        var synthesizeNode = fields.Optional("synthesize");
        var synthesis = Synthesize(synthesizeNode, defaultDuration, defaultCooldown);
        var post = Phase(fields.Optional("post-inspection"), "post-inspection", DefaultPostInspection, checkRefs);
        int? crashes = Abort(fields.Optional("abort"));
        LoadSpec? load = fields.Optional("load") is { } loadNode ? Load(loadNode, target) : null;
        var report = Report(fields.Optional("report"));
        fields.ReportUnknown();

        if (experimentsNode is null or YamlSequence { Items.Count: 0 } && synthesis?.Enabled != true)
        {
            bag.Report(ScenarioDiagnostics.NothingToRun, source, new TextSpan(map.Span.Start, 0), "the scenario has no experiments",
                "list them under `experiments:`, or write `synthesize: true` to synthesize them from the profile");
        }
        if (synthesis?.Enabled == true && profileNode is null && observeNode is null)
        {
            bag.Report(ScenarioDiagnostics.NothingToSynthesize, source, synthesizeNode!.Span, "`synthesize` needs a `profile` or an `observe` phase to synthesize from",
                "add `profile: profile.yaml` (from `phoebe observe`), or `observe: { duration: 30s }` to observe the target first");
        }

        // Names, now that the .phb files are loaded (when they loaded without errors).
        var experiments = new List<ExperimentSpec>();
        if (plan is not null)
        {
            var checkNames = plan.HealthChecks.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var check in checkRefs)
            {
                if (checkNames.Contains(check.Name)) continue;
                var hints = new List<string>();
                if (Suggestions.Closest(check.Name, checkNames) is { } closest) hints.Add($"did you mean `{closest}`?");
                hints.Add(checkNames.Count == 0 ? "no file under `health:` or `rules:` defines a HEALTH check" : $"checks: {string.Join(", ", checkNames.Order(StringComparer.Ordinal))}");
                bag.Report(ScenarioDiagnostics.UnknownCheck, source, check.Node.Span, $"no HEALTH check is named `{check.Name}`", hints.ToArray());
            }
            if (checkNames.Count == 0)
            {
                bag.Report(ScenarioDiagnostics.NoChecks, source, new TextSpan(map.Span.Start, 0), "the scenario has no HEALTH checks: only crashes can be told apart",
                    "add a .phb file with a `HEALTH name { ... }` block under `health:`");
            }
            var rules = plan.Rules.ToDictionary(r => r.Name, StringComparer.Ordinal);
            foreach (var (spec, ruleRefs) in experimentRefs)
            {
                var chosen = new List<RulePlan>();
                foreach (var rule in ruleRefs)
                {
                    if (rules.TryGetValue(rule.Name, out var found))
                    {
                        chosen.Add(found);
                        continue;
                    }
                    var hints = new List<string>();
                    if (Suggestions.Closest(rule.Name, rules.Keys) is { } closest) hints.Add($"did you mean `{closest}`?");
                    hints.Add(rules.Count == 0 ? "no file under `rules:` defines a RULE" : $"rules: {string.Join(", ", rules.Keys.Order(StringComparer.Ordinal))}");
                    bag.Report(ScenarioDiagnostics.UnknownRule, source, rule.Node.Span, $"no RULE is named `{rule.Name}`", hints.ToArray());
                }
                experiments.Add(spec with { Rules = chosen });
            }
        }

        if (bag.HasErrors || plan is null || target is null || synthesis is null || report is null) return Result(null);
        return Result(new Scenario(System.IO.Path.GetFullPath(source.Path), name, target, plan, ruleFiles.Select(f => f.Path).Distinct().ToArray(), profile, profilePath, observe, steady, tolerance, experiments,
            synthesis.Enabled, synthesis.Parameters, synthesis.RandomBaseline, synthesis.Duration, synthesis.Cooldown, post, crashes, load, report)
        {
            CompiledChecks = checks.ToDictionary(c => c.Name, StringComparer.Ordinal),
            SynthesisPhase = synthesis.Phase,
        });
    }

    private ScenarioReadResult Result(Scenario? scenario) => new(source, scenario, OrderedDiagnostics());

    // ------------------------------------------------------------------ files

    private string? FilePath(YamlNode node, string field)
    {
        string? path = Text(node, field);
        return path is null ? null : System.IO.Path.GetFullPath(path, Directory);
    }

    private List<(string Path, YamlNode Node)> FileList(YamlNode? node, string field)
    {
        var files = new List<(string, YamlNode)>();
        if (node is null) return files;
        // One file may be written alone: `rules: rules.phb`.
        IReadOnlyList<YamlNode> items = node is YamlScalar ? [node] : Sequence(node, field, "a list of .phb files") is { } list ? list.Items : [];
        foreach (var item in items)
        {
            if (FilePath(item, field) is { } path) files.Add((path, item));
        }
        return files;
    }

    private InjectionPlan? CompilePhb(List<(string Path, YamlNode Node)> files)
    {
        var resolver = new SourceResolver(Directory);
        var roots = new List<(SourceText, string)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        bool missing = false;
        foreach (var (path, node) in files)
        {
            if (!keys.Add(path)) continue; // a file under both `rules` and `health`
            var loaded = resolver.LoadFile(path);
            if (loaded.Source is null)
            {
                bag.Report(ScenarioDiagnostics.FileNotFound, source, node.Span, $"cannot read {Relative(path)}: {loaded.Error}");
                missing = true;
                continue;
            }
            roots.Add((loaded.Source, loaded.Key));
        }
        var compiled = PhoebeCompiler.Compile(roots, resolver);
        if (compiled.HasErrors)
        {
            bag.AddRange(compiled.Diagnostics);
            return null;
        }
        // The C# of the HEALTH blocks too: a scenario that validates can run.
        var health = HealthPass.Run(compiled);
        bag.AddRange(health.Result.Diagnostics);
        checks = health.Checks;
        return missing || health.Result.HasErrors ? null : health.Result.Plan;
    }

    private Profile? ReadProfile(string path, YamlNode node)
    {
        ProfileReadResult read;
        try
        {
            if (System.IO.Directory.Exists(path)) throw new IOException("is a directory");
            read = ProfileReader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            bag.Report(ScenarioDiagnostics.FileNotFound, source, node.Span, $"cannot read the profile {Relative(path)}: {why}",
                "write one with `phoebe observe -o PROFILE.yaml`, or use `observe:` to observe the target first");
            return null;
        }
        bag.AddRange(read.Diagnostics);
        return read.Profile;
    }

    private string Relative(string path) => System.IO.Path.GetRelativePath(Directory, path);

    // ------------------------------------------------------------------ target

    private TargetSpec? Target(YamlNode? node, List<NamedRef> checkRefs)
    {
        if (Mapping(node, "`target`", "`{ command: [./server, --port, \"8080\"], ready: { tcp: 127.0.0.1:8080 } }`") is not { } map) return null;
        var fields = new Fields(this, map, "`target`", TargetFields);
        var commandNode = fields.Required("command");
        var command = Command(commandNode, "target.command");
        string workdir = fields.Optional("workdir") is { } workdirNode ? FilePath(workdirNode, "workdir") ?? Directory : Directory;
        var env = Environment(fields.Optional("env"));
        var buildNode = fields.Optional("build");
        var build = buildNode is null ? null : Command(buildNode, "target.build");
        var ready = Ready(fields.Optional("ready"), checkRefs);
        var restart = Choice(fields.Optional("restart"), "restart", RestartPolicy.OnFailure,
            ("never", RestartPolicy.Never), ("on-failure", RestartPolicy.OnFailure), ("always", RestartPolicy.Always));
        var (signal, stopTimeout) = Stop(fields.Optional("stop"));
        fields.ReportUnknown();

        if (command is { Count: > 0 } && buildNode is null && ProgramPath(command[0], workdir) is null)
        {
            bag.Report(ScenarioDiagnostics.ProgramNotFound, source, commandNode!.Span,
                command[0].Contains('/') ? $"there is no program {command[0]} (from {Relative(workdir) switch { "." => "the scenario's directory", var d => d }})" : $"`{command[0]}` is not in PATH",
                "give its path, install it, or add a `build:` command that makes it");
        }
        if (command is null || env is null || ready is null || restart is null || signal is null) return null;
        return new TargetSpec(command, workdir, env, build, ready, restart.Value, signal.Value, stopTimeout);
    }

    /// <summary>Where <paramref name="program"/> is: relative to <paramref name="workdir"/> with a slash, in PATH without.</summary>
    internal static string? ProgramPath(string program, string workdir)
    {
        if (program.Contains('/'))
        {
            string path = System.IO.Path.GetFullPath(program, workdir);
            return File.Exists(path) ? path : null;
        }
        foreach (var dir in (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string path = System.IO.Path.Combine(dir, program);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private IReadOnlyList<string>? Command(YamlNode? node, string field)
    {
        if (node is null) return null;
        List<string>? words = null;
        if (node is YamlScalar { IsNull: false } s)
        {
            words = SplitWords(s.Value, out string? error);
            if (error is not null)
            {
                bag.Report(ScenarioDiagnostics.InvalidCommand, source, node.Span, $"`{field}`: {error}", "or write the command as a list: `[prog, arg1, arg2]`");
                return null;
            }
        }
        else if (node is YamlSequence list)
        {
            words = [];
            foreach (var item in list.Items)
            {
                if (item is YamlScalar { IsNull: false } word) words.Add(word.Value);
                else
                {
                    bag.Report(ProfileDiagnostics.WrongType, source, item.Span, $"the words of `{field}` are strings, not {item.Describe()}");
                    return null;
                }
            }
        }
        else
        {
            bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be a command such as `[./server, --port, \"8080\"]`, not {node.Describe()}");
            return null;
        }
        if (words.Count == 0 || words[0].Length == 0)
        {
            bag.Report(ScenarioDiagnostics.InvalidCommand, source, node.Span, $"`{field}` is empty", "name the program to run, then its arguments");
            return null;
        }
        return words;
    }

    /// <summary>Splits a command written as one string into words, as a POSIX shell does for quotes and backslashes (no expansions).</summary>
    internal static List<string> SplitWords(string text, out string? error)
    {
        error = null;
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            if (c == '\'' || c == '"')
            {
                int end = text.IndexOf(c, i + 1);
                while (c == '"' && end > 0 && text[end - 1] == '\\') end = text.IndexOf(c, end + 1);
                if (end < 0)
                {
                    error = $"the quote {c} at column {i + 1} is not closed";
                    return words;
                }
                string quoted = text[(i + 1)..end];
                word.Append(c == '"' ? quoted.Replace("\\\"", "\"").Replace("\\\\", "\\") : quoted);
                i = end;
            }
            else if (c == '\\' && i + 1 < text.Length) word.Append(text[++i]);
            else if (c is '|' or '&' or ';' or '<' or '>' or '$' or '`' or '*' or '?')
            {
                error = $"`{c}` is shell syntax, and commands are not run by a shell";
                return words;
            }
            else word.Append(c);
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    private IReadOnlyDictionary<string, string>? Environment(YamlNode? node)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null) return env;
        if (Mapping(node, "`env`", "`{ LOG_LEVEL: debug }`") is not { } map) return null;
        foreach (var (key, value) in map.Entries)
        {
            if (value is YamlScalar s) env[key.Value] = s.IsNull ? "" : s.Value;
            else bag.Report(ProfileDiagnostics.WrongType, source, value.Span, $"the value of `{key.Value}` must be a string, not {value.Describe()}");
        }
        return env;
    }

    private Readiness? Ready(YamlNode? node, List<NamedRef> checkRefs)
    {
        if (node is null) return new Readiness(null, null, null, Readiness.DefaultTimeout);
        if (Mapping(node, "`ready`", "`{ tcp: 127.0.0.1:8080 }`") is not { } map) return null;
        var fields = new Fields(this, map, "`ready`", ReadyFields);
        IPEndPoint? tcp = fields.Optional("tcp") is { } tcpNode ? Address(tcpNode, "ready.tcp") : null;
        string? check = null;
        if (fields.Optional("check") is { } checkNode && Text(checkNode, "ready.check") is { } name)
        {
            check = name;
            checkRefs.Add(new NamedRef(name, checkNode));
        }
        TimeSpan? delay = fields.Optional("delay") is { } delayNode ? Duration(delayNode, "ready.delay") : null;
        TimeSpan timeout = fields.Optional("timeout") is { } timeoutNode ? Duration(timeoutNode, "ready.timeout") ?? Readiness.DefaultTimeout : Readiness.DefaultTimeout;
        fields.ReportUnknown();
        return new Readiness(tcp, check, delay, timeout);
    }

    private IPEndPoint? Address(YamlNode node, string field)
    {
        string? text = Text(node, field);
        if (text is null) return null;
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : "";
        string port = colon > 0 ? text[(colon + 1)..] : "";
        IPAddress? address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(host.Trim('[', ']'), out var parsed) && (parsed.AddressFamily == AddressFamily.InterNetworkV6 || host.Count(c => c == '.') == 3) ? parsed : null;
        if (address is null || !int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535)
        {
            bag.Report(ScenarioDiagnostics.InvalidAddress, source, node.Span, $"`{field}` must be HOST:PORT such as 127.0.0.1:8080, not `{text}`",
                "HOST is an IPv4 address, [an IPv6 address] or localhost; PORT is 1 to 65535");
            return null;
        }
        return new IPEndPoint(address, number);
    }

    private (int? Signal, TimeSpan Timeout) Stop(YamlNode? node)
    {
        if (node is null) return (SIGTERM, DefaultStopTimeout);
        if (Mapping(node, "`stop`", "`{ signal: SIGINT, timeout: 5s }`") is not { } map) return (null, DefaultStopTimeout);
        var fields = new Fields(this, map, "`stop`", StopFields);
        int? signal = SIGTERM;
        if (fields.Optional("signal") is { } signalNode && Text(signalNode, "stop.signal") is { } name)
        {
            signal = SignalCatalog.Lookup(name)?.Number;
            if (signal is null)
            {
                var hints = Suggestions.Closest(name, SignalCatalog.All.Select(s => s.Name)) is { } closest ? new[] { $"did you mean `{closest}`?" } : [];
                bag.Report(ScenarioDiagnostics.InvalidChoice, source, signalNode.Span, $"unknown signal `{name}`", hints);
            }
        }
        TimeSpan timeout = fields.Optional("timeout") is { } timeoutNode ? Duration(timeoutNode, "stop.timeout") ?? DefaultStopTimeout : DefaultStopTimeout;
        fields.ReportUnknown();
        return (signal, timeout);
    }

    // ------------------------------------------------------------------ phases

    private (CheckPhase Phase, double Tolerance) SteadyState(YamlNode? node, List<NamedRef> checkRefs)
    {
        var phase = new CheckPhase(DefaultSteadyState, []);
        if (node is null) return (phase, DefaultTolerance);
        if (Mapping(node, "`steady-state`", "`{ duration: 10s, checks: [ping], tolerance: 0.05 }`") is not { } map) return (phase, DefaultTolerance);
        var fields = new Fields(this, map, "`steady-state`", SteadyFields);
        TimeSpan duration = fields.Optional("duration") is { } d ? Duration(d, "steady-state.duration") ?? DefaultSteadyState : DefaultSteadyState;
        var checks = Names(fields.Optional("checks"), "steady-state.checks", checkRefs);
        double tolerance = fields.Optional("tolerance") is { } t ? Fraction(t, "steady-state.tolerance") ?? DefaultTolerance : DefaultTolerance;
        fields.ReportUnknown();
        return (new CheckPhase(duration, checks), tolerance);
    }

    private CheckPhase Phase(YamlNode? node, string field, TimeSpan defaultDuration, List<NamedRef> checkRefs)
    {
        var phase = new CheckPhase(defaultDuration, []);
        if (node is null) return phase;
        if (Mapping(node, $"`{field}`", "`{ duration: 3s, checks: [ping] }`") is not { } map) return phase;
        var fields = new Fields(this, map, $"`{field}`", PhaseFields);
        TimeSpan duration = fields.Optional("duration") is { } d ? Duration(d, field + ".duration") ?? defaultDuration : defaultDuration;
        var checks = Names(fields.Optional("checks"), field + ".checks", checkRefs);
        fields.ReportUnknown();
        return new CheckPhase(duration, checks);
    }

    private List<string> Names(YamlNode? node, string field, List<NamedRef> refs)
    {
        var names = new List<string>();
        if (node is null) return names;
        IReadOnlyList<YamlNode> items = node is YamlScalar ? [node] : Sequence(node, field, "a list of names") is { } list ? list.Items : [];
        foreach (var item in items)
        {
            if (Text(item, field) is not { } name) continue;
            names.Add(name);
            refs.Add(new NamedRef(name, item));
        }
        return names;
    }

    private (TimeSpan Duration, TimeSpan Cooldown) Defaults(YamlNode? node)
    {
        if (node is null) return (DefaultDuration, DefaultCooldown);
        if (Mapping(node, "`defaults`", "`{ duration: 10s, cooldown: 2s }`") is not { } map) return (DefaultDuration, DefaultCooldown);
        var fields = new Fields(this, map, "`defaults`", DefaultsFields);
        TimeSpan duration = fields.Optional("duration") is { } d ? Duration(d, "defaults.duration") ?? DefaultDuration : DefaultDuration;
        TimeSpan cooldown = fields.Optional("cooldown") is { } c ? NonNegativeDuration(c, "defaults.cooldown") ?? DefaultCooldown : DefaultCooldown;
        fields.ReportUnknown();
        return (duration, cooldown);
    }

    private TimeSpan? NonNegativeDuration(YamlNode node, string field) =>
        node is YamlScalar { Plain: true, Value: "0" } ? TimeSpan.Zero : Duration(node, field);

    private List<(ExperimentSpec Spec, List<NamedRef> Rules)> Experiments(YamlNode node, TimeSpan defaultDuration, TimeSpan defaultCooldown)
    {
        var experiments = new List<(ExperimentSpec, List<NamedRef>)>();
        if (Sequence(node, "experiments", "a list of `{ name, rules, duration }` entries") is not { } list) return experiments;
        var names = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var item in list.Items)
        {
            if (Mapping(item, "an experiment", "`{ name: disk_full, rules: [disk_full], duration: 10s }`") is not { } map) continue;
            var fields = new Fields(this, map, "this experiment", ExperimentFields);
            var nameNode = fields.Required("name");
            string? name = Text(nameNode, "name");
            var rulesNode = fields.Required("rules");
            var rules = new List<NamedRef>();
            Names(rulesNode, "rules", rules);
            if (rulesNode is YamlSequence { Items.Count: 0 })
            {
                bag.Report(ProfileDiagnostics.OutOfRange, source, rulesNode.Span, "an experiment enables at least one rule");
            }
            TimeSpan duration = fields.Optional("duration") is { } d ? Duration(d, "duration") ?? defaultDuration : defaultDuration;
            TimeSpan cooldown = fields.Optional("cooldown") is { } c ? NonNegativeDuration(c, "cooldown") ?? defaultCooldown : defaultCooldown;
            fields.ReportUnknown();
            if (name is null) continue;
            if (names.TryGetValue(name, out var first))
            {
                bag.Report(ScenarioDiagnostics.DuplicateExperiment, source, nameNode!.Span, $"two experiments are named `{name}`",
                    new DiagnosticLabel(source, first.Span, "the first is here"), "the report tells experiments apart by name: rename one");
                continue;
            }
            names.Add(name, nameNode!);
            experiments.Add((new ExperimentSpec(name, [], duration, cooldown), rules));
        }
        return experiments;
    }

    private sealed record SynthesisChoice(bool Enabled, SynthesisParameters Parameters, bool RandomBaseline, TimeSpan Duration, TimeSpan Cooldown,
        SynthesisPhase Phase = SynthesisPhase.Exit);

    private SynthesisChoice? Synthesize(YamlNode? node, TimeSpan defaultDuration, TimeSpan defaultCooldown)
    {
        var off = new SynthesisChoice(false, SynthesisParameters.Default, false, defaultDuration, defaultCooldown);
        if (node is null) return off;
        if (node is YamlScalar s)
        {
            bool? enabled = Boolean(s, "synthesize");
            return enabled is null ? null : off with { Enabled = enabled.Value };
        }
        if (Mapping(node, "`synthesize`", "`true`, or `{ amplification: 1.2, random-baseline: true }`") is not { } map) return null;
        var fields = new Fields(this, map, "`synthesize`", SynthesizeFields);
        var defaults = SynthesisParameters.Default;
        double Parameter(string field, double fallback) =>
            fields.Optional(field) is { } n ? (field == "amplification" || field == "variance-threshold" ? NonNegative(n, "synthesize." + field) : Fraction(n, "synthesize." + field)) ?? fallback : fallback;
        var parameters = new SynthesisParameters(
            Parameter("sporadic-threshold", defaults.SporadicThreshold),
            Parameter("sporadic-rate", defaults.SporadicRate),
            Parameter("variance-threshold", defaults.VarianceThreshold),
            Parameter("amplification", defaults.Amplification));
        var phase = Choice(fields.Optional("phase"), "synthesize.phase", SynthesisPhase.Exit,
            ("exit", SynthesisPhase.Exit), ("entry", SynthesisPhase.Entry), ("auto", SynthesisPhase.Auto));
        bool random = fields.Optional("random-baseline") is { } r && Boolean(r, "synthesize.random-baseline") == true;
        TimeSpan duration = fields.Optional("duration") is { } d ? Duration(d, "synthesize.duration") ?? defaultDuration : defaultDuration;
        TimeSpan cooldown = fields.Optional("cooldown") is { } c ? NonNegativeDuration(c, "synthesize.cooldown") ?? defaultCooldown : defaultCooldown;
        fields.ReportUnknown();
        return phase is null ? null : new SynthesisChoice(true, parameters, random, duration, cooldown, phase.Value);
    }

    private double? NonNegative(YamlNode node, string field)
    {
        double? value = Number(node, field);
        if (value is null or >= 0) return value;
        bag.Report(ProfileDiagnostics.OutOfRange, source, node.Span, $"`{field}` cannot be negative");
        return null;
    }

    private bool? Boolean(YamlNode node, string field)
    {
        if (node is YamlScalar { Plain: true, Value: "true" or "false" } s) return s.Value == "true";
        bag.Report(ProfileDiagnostics.WrongType, source, node.Span, $"`{field}` must be `true` or `false`, not {node.Describe()}");
        return null;
    }

    private ObserveSpec? Observe(YamlNode node)
    {
        if (Mapping(node, "`observe`", "`{ duration: 30s, interval: 1s }`") is not { } map) return null;
        var fields = new Fields(this, map, "`observe`", ObserveFields);
        TimeSpan? duration = Duration(fields.Required("duration"), "observe.duration");
        TimeSpan interval = fields.Optional("interval") is { } i ? Duration(i, "observe.interval") ?? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1);
        fields.ReportUnknown();
        return duration is null ? null : new ObserveSpec(duration.Value, interval);
    }

    private int? Abort(YamlNode? node)
    {
        if (node is null) return null;
        if (Mapping(node, "`abort`", "`{ crashes: 2 }`") is not { } map) return null;
        var fields = new Fields(this, map, "`abort`", AbortFields);
        long? crashes = fields.Optional("crashes") is { } c ? Integer(c, "abort.crashes", min: 1) : null;
        fields.ReportUnknown();
        return crashes is null ? null : (int)Math.Min(crashes.Value, int.MaxValue);
    }

    /// <summary>The load runs in the target's working directory; a `build` step may make its program, as the target's.</summary>
    private LoadSpec? Load(YamlNode node, TargetSpec? target)
    {
        if (Mapping(node, "`load`", "`{ command: [redis-benchmark, -q, -l] }`") is not { } map) return null;
        var fields = new Fields(this, map, "`load`", LoadFields);
        var commandNode = fields.Required("command");
        var command = Command(commandNode, "load.command");
        fields.ReportUnknown();
        if (command is { Count: > 0 } && target is { Build: null } && ProgramPath(command[0], target.WorkingDirectory) is null)
        {
            bag.Report(ScenarioDiagnostics.ProgramNotFound, source, commandNode!.Span, $"`{command[0]}` is not found", "give its path or install it");
        }
        return command is null ? null : new LoadSpec(command);
    }

    private ReportSpec? Report(YamlNode? node)
    {
        var all = new ReportSpec(Formats, Verdict.Degraded);
        if (node is null) return all;
        if (Mapping(node, "`report`", "`{ formats: [md, json, html], allow: degraded }`") is not { } map) return null;
        var fields = new Fields(this, map, "`report`", ReportFields);
        var formats = new List<string>();
        if (fields.Optional("formats") is { } formatsNode)
        {
            IReadOnlyList<YamlNode> items = formatsNode is YamlScalar ? [formatsNode] : Sequence(formatsNode, "report.formats", "a list of md, json, html") is { } list ? list.Items : [];
            foreach (var item in items)
            {
                if (Text(item, "report.formats") is not { } format) continue;
                if (Formats.Contains(format, StringComparer.Ordinal)) formats.Add(format);
                else bag.Report(ScenarioDiagnostics.InvalidChoice, source, item.Span, $"unknown report format `{format}`", "formats: md, json, html");
            }
        }
        else formats.AddRange(Formats);
        var allow = Choice(fields.Optional("allow"), "report.allow", Verdict.Degraded,
            ("resilient", Verdict.Resilient), ("degraded", Verdict.Degraded), ("crashed", Verdict.Crashed), ("corrupted", Verdict.Corrupted));
        fields.ReportUnknown();
        return allow is null ? null : new ReportSpec(formats.Distinct().ToArray(), allow.Value);
    }

    private T? Choice<T>(YamlNode? node, string field, T fallback, params (string Word, T Value)[] choices) where T : struct
    {
        if (node is null) return fallback;
        string? word = Text(node, field);
        if (word is null) return null;
        foreach (var (w, value) in choices)
        {
            if (w == word) return value;
        }
        var hints = new List<string>();
        if (Suggestions.Closest(word, choices.Select(c => c.Word)) is { } closest) hints.Add($"did you mean `{closest}`?");
        hints.Add($"`{field}` is one of: {string.Join(", ", choices.Select(c => c.Word))}");
        bag.Report(ScenarioDiagnostics.InvalidChoice, source, node.Span, $"`{word}` is not a choice of `{field}`", hints.ToArray());
        return null;
    }
}
