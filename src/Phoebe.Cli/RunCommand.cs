using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Cli;

/// <summary><c>phoebe run [RULES.phb ...] [-e 'RULE ...']... [--profile PROFILE.yaml] [--seed N] [--log FILE] [--summary table|json] [-q] -- COMMAND [ARGS...]</c></summary>
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
        var command = new Command("run", "Run COMMAND with the rules active for it and every process and thread it creates.\n" +
            "Usage: phoebe run [RULES.phb ...] [-e 'RULE ...']... [options] -- COMMAND [ARGS...]\n" +
            "Exit code: the target's (128+N when signal N killed it); 125 when Phoebe itself fails; 2 for usage errors.")
        {
            files, rules, profile, seed, log, summary, quiet, ptraceOnly,
        };
        command.SetAction(parse => Run(
            parse.GetValue(files) ?? [],
            parse.GetValue(rules) ?? [],
            parse.GetValue(profile),
            parse.GetValue(seed),
            parse.GetValue(log),
            parse.GetValue(summary) == "json",
            parse.GetValue(quiet),
            parse.GetValue(ptraceOnly),
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
        bool ptraceOnly, IReadOnlyList<string> target, TextWriter stdout, TextWriter stderr)
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
        var plan = Compile(files, inlineRules, quiet, stderr);
        if (plan is null) return PhoebeFailed;
        if (Unsupported(plan, stderr, profilePath is not null)) return PhoebeFailed;
        if (!TryBindProfile(profilePath, plan, quiet, stderr, out var observations)) return PhoebeFailed;

        ulong actualSeed = seed ?? (ulong)Random.Shared.NextInt64();
        if (!TryOpenLog(logPath, stderr, out var log)) return PhoebeFailed;
        using var _ = log;
        var engine = new InjectionEngine(plan.Rules, new InjectionOptions
        {
            Seed = actualSeed,
            Log = log,
            InKernelErrno = !ptraceOnly,
            UseSeccompNotify = !ptraceOnly,
            Observations = observations,
            OnLogAction = quiet ? null : message => stderr.WriteLine($"phoebe: {message}"),
        });
        var session = new PhoebeSessionSignals(new PtraceSession(engine));
        int exitCode;
        try
        {
            exitCode = session.Run(new LaunchSpec(target[0], target.Skip(1).ToArray()));
        }
        catch (InjectionException e)
        {
            stderr.WriteLine($"phoebe: {e.Message}");
            return PhoebeFailed;
        }
        if (!quiet) WriteSummary(stderr, engine, actualSeed, exitCode, jsonSummary);
        return exitCode;
    }

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
