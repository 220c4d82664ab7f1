using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Metrics;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Cli;

/// <summary>
/// <c>phoebe run [RULES.phb ...] [-e 'RULE ...']... [--profile PROFILE.yaml] [--seed N] [--log FILE] [--summary table|json] [-q]
/// [--metrics HOST:PORT [--metrics-interval D] [--metrics-linger D]] -- COMMAND [ARGS...]</c>
/// </summary>
internal static class RunCommand
{
    /// <summary>Exit code when Phoebe itself fails (bad rules, cannot trace), as env(1) and timeout(1) do.</summary>
    public const int PhoebeFailed = 125;

    public static Command Create(TextWriter stdout, TextWriter stderr, Func<IReadOnlyList<string>> targetCommand)
    {
        var files = new Argument<string[]>("RULES") { Arity = ArgumentArity.ZeroOrMore, Description = ".phb rule files" };
        var rules = new Option<string[]>("--rule", "-e") { Description = "A rule given inline, e.g. -e 'RULE r ON openat IF call == 2 DO return ENOENT' (repeatable)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of chance(): the same seed and call sequence give the same injections (default: random, printed in the summary)" };
        var log = new Option<string?>("--log") { Description = "Write every injection to this file as JSON lines, before the target sees it" };
        var summary = new Option<string>("--summary") { Description = "Summary format at exit, on stderr", DefaultValueFactory = _ => "table" };
        summary.AcceptOnlyFromAmong("table", "json");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing of Phoebe's own: the output is exactly the target's" };
        var profile = ProfileOption();
        var ptraceOnly = new Option<bool>("--ptrace-only") { Description = "Serve every rule with ptrace stops, not seccomp user notification or in-kernel errno (slower; for comparisons)" };
        var control = new Option<string?>("--control")
        {
            HelpName = "SOCKET",
            Description = "Listen on this Unix socket for commands while the target runs: `enable NAME...`, `disable NAME...`, `stats`, `ping` " +
                "(one per line; docs/semantics.md). Every rule is then decided by Phoebe, none by the kernel alone",
        };
        var disabled = new Option<bool>("--disabled") { Description = "Start with every rule disabled (enable them through --control)" };
        var metrics = new MetricsOptions("after the command exits");
        var command = new Command("run", "Run COMMAND with the rules active for it and every process and thread it creates.\n" +
            "Usage: phoebe run [RULES.phb ...] [-e 'RULE ...']... [options] -- COMMAND [ARGS...]\n" +
            "Exit code: the target's (128+N when signal N killed it); 125 when Phoebe itself fails; 2 for usage errors.")
        {
            files, rules, profile, seed, log, summary, quiet, ptraceOnly, control, disabled,
        };
        metrics.AddTo(command);
        command.SetAction(parse => Run(
            parse.GetValue(files) ?? [],
            parse.GetValue(rules) ?? [],
            parse.GetValue(profile),
            parse.GetValue(seed),
            parse.GetValue(log),
            parse.GetValue(summary) == "json",
            parse.GetValue(quiet),
            parse.GetValue(ptraceOnly),
            metrics.Read(parse),
            new ControlArguments(parse.GetValue(control), parse.GetValue(disabled)),
            targetCommand(),
            stdout,
            stderr));
        return command;
    }

    /// <summary>The <c>--profile</c> option of run and attach.</summary>
    internal static Option<string?> ProfileOption() => new("--profile")
    {
        Description = "A profile from `phoebe observe` (YAML): rules read its statistics as observed.min/mean/max/var/count, per syscall and the errno they return",
    };

    private static int Run(string[] files, string[] inlineRules, string? profilePath, ulong? seed, string? logPath, bool jsonSummary, bool quiet,
        bool ptraceOnly, MetricsArguments metricsArguments, ControlArguments controlArguments, IReadOnlyList<string> target, TextWriter stdout, TextWriter stderr)
    {
        if (target.Count == 0)
        {
            stderr.WriteLine("phoebe: run needs a command after `--`, e.g. phoebe run -e 'RULE r ON openat DO return ENOENT' -- cat /etc/hostname");
            return ExitCodes.Usage;
        }
        if (files.Length == 0 && inlineRules.Length == 0)
        {
            stderr.WriteLine("phoebe: run needs rules: RULES.phb files or -e 'RULE ...'");
            return ExitCodes.Usage;
        }
        if (!metricsArguments.TryParse(stderr, out var metricsSettings)) return ExitCodes.Usage;
        if (controlArguments.StartDisabled && controlArguments.Socket is null)
        {
            stderr.WriteLine("phoebe: --disabled needs --control SOCKET: without it, nothing could enable the rules");
            return ExitCodes.Usage;
        }
        var plan = Compile(files, inlineRules, quiet, stderr);
        if (plan is null) return PhoebeFailed;
        if (Unsupported(plan, stderr, profilePath is not null)) return PhoebeFailed;
        if (!TryBindProfile(profilePath, plan, quiet, stderr, out var observations)) return PhoebeFailed;

        ulong actualSeed = seed ?? (ulong)Random.Shared.NextInt64();
        if (!TryOpenLog(logPath, stderr, out var log)) return PhoebeFailed;
        using var _ = log;
        // Listen before anything starts, so a taken port stops Phoebe before the target runs.
        if (!MetricsExport.TryStart(metricsSettings, quiet, jsonSummary, stderr, out var metrics)) return PhoebeFailed;
        using var __ = metrics;
        var engine = new InjectionEngine(plan.Rules, new InjectionOptions
        {
            Seed = actualSeed,
            Log = log,
            // Calls the kernel fails by itself are counted nowhere: with metrics, Phoebe decides them.
            // And a rule the kernel decides cannot be disabled: with a control socket, Phoebe decides them all.
            InKernelErrno = !ptraceOnly && metrics is null && controlArguments.Socket is null,
            UseSeccompNotify = !ptraceOnly,
            Observations = observations,
            OnLogAction = quiet ? null : message => stderr.WriteLine($"phoebe: {message}"),
            // The launcher's exec of the command: the monitor starts counting there, before the command's first call.
            BeforeExec = metrics is null ? null : metrics.Sampler.OnExec,
        });
        metrics?.Start(engine);
        if (controlArguments.StartDisabled)
        {
            foreach (var rule in engine.Rules) engine.SetEnabled(rule.Name, false);
        }
        var tracer = new PtraceSession(engine);
        ControlServer? controlServer = null;
        if (controlArguments.Socket is { } socketPath)
        {
            try
            {
                controlServer = ControlServer.Start(socketPath, engine, () => tracer.RootPid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
            {
                stderr.WriteLine($"phoebe: cannot listen on the control socket {socketPath}: {e.Message}");
                return PhoebeFailed;
            }
        }
        using var ___ = controlServer;
        var session = new PhoebeSessionSignals(tracer);
        int exitCode;
        try
        {
            exitCode = session.Run(new LaunchSpec(target[0], target.Skip(1).ToArray()));
        }
        catch (InjectionException e)
        {
            stderr.WriteLine($"phoebe: {e.Message}");
            if (e.MissingCapability) stderr.WriteLine(DoctorCommand.Hint);
            return PhoebeFailed;
        }
        metrics?.Stop();
        if (!quiet) WriteSummary(stderr, engine, actualSeed, exitCode, jsonSummary);
        metrics?.Linger();
        return exitCode;
    }

    /// <summary>The <c>--control</c> and <c>--disabled</c> options.</summary>
    private sealed record ControlArguments(string? Socket, bool StartDisabled);

    /// <summary>Opens the <c>--log</c> file, if any; false (after saying why) when it cannot be written.</summary>
    internal static bool TryOpenLog(string? path, TextWriter stderr, out InjectionLog? log)
    {
        log = null;
        if (path is null) return true;
        try
        {
            log = new InjectionLog(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot write the log {path}: {e.Message}");
            return false;
        }
    }

    internal static InjectionPlan? Compile(string[] files, string[] inlineRules, bool quiet, TextWriter stderr)
    {
        var resolver = new SourceResolver();
        var roots = new List<(SourceText, string)>();
        foreach (var file in files)
        {
            var loaded = resolver.LoadFile(file);
            if (loaded.Source is null)
            {
                stderr.WriteLine($"phoebe: cannot read {file}: {loaded.Error}");
                return null;
            }
            roots.Add((loaded.Source, loaded.Key));
        }
        if (inlineRules.Length > 0)
        {
            roots.Add((new SourceText("-e", string.Join('\n', inlineRules) + "\n"), Path.Combine(resolver.BaseDirectory, "<-e>")));
        }
        var result = PhoebeCompiler.Compile(roots, resolver);
        foreach (var d in result.Diagnostics)
        {
            if (d.Severity == Severity.Error || !quiet) stderr.Write(DiagnosticRenderer.Render(d));
        }
        return result.HasErrors ? null : result.Plan;
    }

    /// <summary>
    /// Reads <c>--profile</c>, if given, and binds the rules' <c>observed.*</c> to it; false
    /// (after rendering the profile's diagnostics, or saying which rule has no observations) on errors.
    /// </summary>
    internal static bool TryBindProfile(string? path, InjectionPlan plan, bool quiet, TextWriter stderr,
        out IReadOnlyDictionary<(string Syscall, int Errno), ObservedStats>? observations)
    {
        observations = null;
        if (path is null) return true;
        ProfileReadResult read;
        try
        {
            if (Directory.Exists(path)) throw new IOException("is a directory (pass a profile, e.g. profile.yaml)");
            read = ProfileReader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot read the profile {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
            return false;
        }
        foreach (var d in read.Diagnostics)
        {
            if (d.Severity == Severity.Error || !quiet) stderr.Write(DiagnosticRenderer.Render(d));
        }
        if (read.Profile is not { } profile)
        {
            int errors = read.Diagnostics.Count(d => d.Severity == Severity.Error);
            stderr.WriteLine($"phoebe: the profile {path} has {errors} error{(errors == 1 ? "" : "s")}");
            return false;
        }
        var problems = ProfileObservations.Check(plan.Rules, profile, path);
        foreach (var problem in problems) stderr.WriteLine($"phoebe: {problem}");
        if (problems.Count > 0) return false;
        observations = ProfileObservations.Table(profile);
        return true;
    }

    internal static bool Unsupported(InjectionPlan plan, TextWriter stderr, bool hasProfile)
    {
        foreach (var rule in plan.Rules)
        {
            if (rule.Syscalls.IsEmpty)
            {
                stderr.WriteLine($"phoebe: rule `{rule.Name}` ({rule.Location}) targets only library functions, which cannot be injected yet: " +
                    "seccomp and ptrace see syscalls; inject the syscalls the function makes instead");
                return true;
            }
            if (!hasProfile && ProfileObservations.UsesObserved(rule))
            {
                stderr.WriteLine($"phoebe: rule `{rule.Name}` ({rule.Location}) uses observed.*, which needs a profile: " +
                    "pass --profile PROFILE.yaml, written by `phoebe observe` (`rate` alone needs none)");
                return true;
            }
        }
        return false;
    }

    internal static void WriteSummary(TextWriter stderr, InjectionEngine engine, ulong seed, int? exitCode, bool json, string? headline = null)
    {
        if (json)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteNumber("seed", seed);
                if (exitCode is { } code) w.WriteNumber("exitCode", code); else w.WriteNull("exitCode");
                w.WriteNumber("elapsedSeconds", Math.Round(engine.Elapsed.TotalSeconds, 3));
                w.WriteStartArray("rules");
                foreach (var r in engine.Rules)
                {
                    w.WriteStartObject();
                    w.WriteString("name", r.Name);
                    w.WriteString("phase", r.Plan.Phase == Phase.Exit ? "exit" : "entry");
                    w.WriteStartArray("syscalls");
                    foreach (var s in r.Plan.Syscalls) w.WriteStringValue(s.Name);
                    w.WriteEndArray();
                    w.WriteBoolean("inKernel", r.InKernel);
                    if (r.InKernel)
                    {
                        w.WriteNull("calls");
                        w.WriteNull("matched");
                        w.WriteNull("injected");
                    }
                    else
                    {
                        w.WriteNumber("calls", r.Calls);
                        w.WriteNumber("matched", r.Matched);
                        w.WriteNumber("injected", r.Injected);
                    }
                    if (r.FirstInjection is { } f) w.WriteNumber("firstInjectionSeconds", Math.Round(f.TotalSeconds, 6)); else w.WriteNull("firstInjectionSeconds");
                    if (r.LastInjection is { } l) w.WriteNumber("lastInjectionSeconds", Math.Round(l.TotalSeconds, 6)); else w.WriteNull("lastInjectionSeconds");
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stderr.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
            return;
        }
        stderr.WriteLine(headline ?? $"phoebe: target exited with {exitCode} after {engine.Elapsed.TotalSeconds:0.000} s (seed {seed})");
        var rows = new List<string[]> { new[] { "rule", "syscalls", "phase", "calls", "matched", "injected", "first", "last" } };
        foreach (var r in engine.Rules)
        {
            string syscalls = r.Plan.Syscalls.Length <= 3
                ? string.Join(",", r.Plan.Syscalls.Select(s => s.Name))
                : $"{r.Plan.Syscalls[0].Name},... ({r.Plan.Syscalls.Length})";
            rows.Add(r.InKernel
                ? [r.Name, syscalls, "ENTRY", "-", "-", "in kernel", "-", "-"]
                : [r.Name, syscalls, r.Plan.Phase == Phase.Exit ? "EXIT" : "ENTRY", r.Calls.ToString(), r.Matched.ToString(), r.Injected.ToString(),
                    Seconds(r.FirstInjection), Seconds(r.LastInjection)]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(row => row[i].Length)).ToArray();
        foreach (var row in rows)
        {
            stderr.WriteLine("  " + string.Join("  ", row.Select((cell, i) => i >= 3 ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.000}s" : "-";

    /// <summary>
    /// Parses a duration option such as <c>--metrics-interval 500ms</c> (at least 1 ms, with a unit); false after
    /// saying what is expected.
    /// </summary>
    internal static bool TryDuration(string option, string text, TextWriter stderr, out TimeSpan value)
    {
        value = default;
        if (!LiteralDecoder.TryParseDuration(text, out long ns) || ns < 1_000_000 || !char.IsAsciiLetter(text[^1]))
        {
            stderr.WriteLine($"phoebe: {option} needs a duration of at least 1ms such as 1s or 200ms, not `{text}`");
            return false;
        }
        value = TimeSpan.FromTicks(ns / 100);
        return true;
    }

    /// <summary>The <c>--metrics</c>, <c>--metrics-interval</c> and <c>--metrics-linger</c> options of run and attach.</summary>
    internal sealed class MetricsOptions
    {
        private readonly Option<string?> endpoint = new("--metrics")
        {
            HelpName = "HOST:PORT",
            Description = "Serve Prometheus metrics at http://HOST:PORT/metrics: calls and errors per syscall and errno, natural (eBPF) and " +
                "injected (labelled injected=\"true\"), error rates, latency, per-rule counters (docs/metrics.md)",
        };
        private readonly Option<string?> interval = new("--metrics-interval")
        {
            HelpName = "D",
            Description = "How often the metrics are updated, e.g. 1s or 200ms (default 1s)",
        };
        private readonly Option<string?> linger;

        /// <summary>Creates the options; <paramref name="end"/> says when the session ends (for the help text).</summary>
        public MetricsOptions(string end)
        {
            linger = new Option<string?>("--metrics-linger")
            {
                HelpName = "D",
                Description = $"{char.ToUpperInvariant(end[0])}{end[1..]}, keep serving the final metrics until they are scraped once, for at most D (default: stop at once)",
            };
        }

        /// <summary>Adds the options to <paramref name="command"/>.</summary>
        public void AddTo(Command command)
        {
            command.Options.Add(endpoint);
            command.Options.Add(interval);
            command.Options.Add(linger);
        }

        /// <summary>The values given.</summary>
        public MetricsArguments Read(System.CommandLine.ParseResult parse) => new(parse.GetValue(endpoint), parse.GetValue(interval), parse.GetValue(linger));
    }

    /// <summary>What was given for the metrics options, unchecked.</summary>
    internal sealed record MetricsArguments(string? Endpoint, string? Interval, string? Linger)
    {
        /// <summary>Checks the values; false (after saying why) on usage errors. <paramref name="settings"/> is null without <c>--metrics</c>.</summary>
        public bool TryParse(TextWriter stderr, out MetricsSettings? settings)
        {
            settings = null;
            if (Endpoint is null)
            {
                string? stray = Interval != null ? "--metrics-interval" : Linger != null ? "--metrics-linger" : null;
                if (stray is null) return true;
                stderr.WriteLine($"phoebe: {stray} needs --metrics HOST:PORT");
                return false;
            }
            var at = MetricsServer.ParseEndpoint(Endpoint, out string error);
            if (at is null)
            {
                stderr.WriteLine("phoebe: " + error);
                return false;
            }
            var every = InjectionOptions.DefaultInterval;
            if (Interval != null && !TryDuration("--metrics-interval", Interval, stderr, out every)) return false;
            var linger = TimeSpan.Zero;
            if (Linger != null && !TryDuration("--metrics-linger", Linger, stderr, out linger)) return false;
            settings = new MetricsSettings(Endpoint, at, every, linger);
            return true;
        }
    }

    /// <summary>Checked metrics options.</summary>
    internal sealed record MetricsSettings(string Text, System.Net.IPEndPoint Endpoint, TimeSpan Interval, TimeSpan Linger);

    /// <summary>
    /// The metrics of one run or attach: the HTTP server, the sampler and its eBPF monitor, and the messages about
    /// them. Start the server before the target (<see cref="TryStart"/>), the sampler with the engine, stop it when
    /// the target is done, then <see cref="Linger"/>.
    /// </summary>
    internal sealed class MetricsExport : IDisposable
    {
        private readonly MetricsSettings settings;
        private readonly MetricsServer server;
        private readonly bool quiet;
        private readonly bool informative;
        private readonly TextWriter stderr;

        private MetricsExport(MetricsSettings settings, MetricsServer server, InjectionMetricsSampler sampler, bool quiet, bool informative, TextWriter stderr)
        {
            this.settings = settings;
            this.server = server;
            Sampler = sampler;
            this.quiet = quiet;
            this.informative = informative;
            this.stderr = stderr;
        }

        /// <summary>The sampler, whose monitor follows the target.</summary>
        public InjectionMetricsSampler Sampler { get; }

        /// <summary>
        /// Listens and loads the eBPF monitor (warning, unless quiet, when natural counts will be absent); false
        /// after saying why when it cannot listen. <paramref name="export"/> is null without <c>--metrics</c>.
        /// With <paramref name="jsonSummary"/> it says where it serves nothing but warnings, so that stderr stays
        /// the summary's JSON when all goes well.
        /// </summary>
        public static bool TryStart(MetricsSettings? settings, bool quiet, bool jsonSummary, TextWriter stderr, out MetricsExport? export)
        {
            export = null;
            if (settings is null) return true;
            var metrics = new ObservationMetrics();
            MetricsServer server;
            try
            {
                server = MetricsServer.Start(settings.Endpoint, metrics.Render);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                stderr.WriteLine($"phoebe: cannot serve metrics on {settings.Text}: {e.Message}");
                return false;
            }
            var sampler = new InjectionMetricsSampler(metrics, settings.Interval);
            if (!sampler.TryStartMonitor() && !quiet)
            {
                stderr.WriteLine($"phoebe: warning: the metrics count injections only, no natural calls or errors: {sampler.NaturalCountsAbsent}");
            }
            export = new MetricsExport(settings, server, sampler, quiet, !quiet && !jsonSummary, stderr);
            return true;
        }

        /// <summary>Starts sampling <paramref name="engine"/>.</summary>
        public void Start(InjectionEngine engine)
        {
            Sampler.Start(engine);
            if (informative) stderr.WriteLine($"phoebe: metrics at http://{settings.Text}/metrics");
        }

        /// <summary>Takes the last sample (the final values) and detaches the monitor; warns about calls it could not count.</summary>
        public void Stop()
        {
            string? before = Sampler.NaturalCountsAbsent;
            Sampler.Stop();
            if (quiet) return;
            if (before is null && Sampler.NaturalCountsAbsent is { } why) stderr.WriteLine($"phoebe: warning: natural counts stopped: {why}");
            if (Sampler.Uncounted > 0) stderr.WriteLine($"phoebe: warning: {Sampler.Uncounted} calls were not counted: the monitor's kernel maps were full");
            if (Sampler.Unfollowed > 0) stderr.WriteLine($"phoebe: warning: {Sampler.Unfollowed} forked processes were not followed: the monitor's process map was full");
        }

        /// <summary>
        /// With <c>--metrics-linger D</c>: serves the final values until one scrape has fetched them, for at most D;
        /// SIGINT, SIGTERM or SIGHUP end it sooner.
        /// </summary>
        public void Linger()
        {
            if (settings.Linger <= TimeSpan.Zero) return;
            var scraped = server.NextScrapeAsync();
            using var interrupted = new ManualResetEventSlim();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Interrupt);
            if (informative) stderr.WriteLine($"phoebe: serving the final metrics until they are scraped, for at most {Lang.Semantics.Value.FormatDuration(settings.Linger.Ticks * 100)}");
            WaitHandle.WaitAny([((IAsyncResult)scraped).AsyncWaitHandle, interrupted.WaitHandle], settings.Linger);

            void Interrupt(PosixSignalContext context)
            {
                context.Cancel = true;
                interrupted.Set();
            }
        }

        /// <summary>Stops the sampler and the server.</summary>
        public void Dispose()
        {
            Sampler.Dispose();
            server.Dispose();
        }
    }

    /// <summary>
    /// The first SIGINT is passed on to the target (Ctrl-C in a terminal reaches it
    /// anyway) and Phoebe waits for it to exit; a second SIGINT, SIGTERM or SIGHUP
    /// kill the target: it never outlives Phoebe.
    /// </summary>
    private sealed class PhoebeSessionSignals(PtraceSession session)
    {
        private int interrupts;

        public int Run(LaunchSpec spec)
        {
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
            {
                ctx.Cancel = true;
                if (Interlocked.Increment(ref interrupts) > 1) session.KillAll();
                else session.InterruptTarget();
            });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                session.KillAll();
            });
            using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
            {
                ctx.Cancel = true;
                session.KillAll();
            });
            return session.Run(spec);
        }
    }
}
