using System.CommandLine;
using System.Runtime.InteropServices;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;

namespace Phoebe.Cli;

/// <summary>
/// <c>phoebe attach --pid PID [RULES.phb ...] [-e 'RULE ...']... [--profile PROFILE.yaml] [--duration D] [-q]
/// [--metrics HOST:PORT [--metrics-interval D] [--metrics-linger D]]</c>
/// </summary>
internal static class AttachCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var pid = new Option<int>("--pid", "-p") { Description = "The process to inject into (all its threads, and children it creates while attached)", Required = true };
        var files = new Argument<string[]>("RULES") { Arity = ArgumentArity.ZeroOrMore, Description = ".phb rule files" };
        var rules = new Option<string[]>("--rule", "-e") { Description = "A rule given inline (repeatable)" };
        var duration = new Option<string?>("--duration", "-d") { Description = "Detach after this long, e.g. 30s or 5m (default: until Ctrl-C or SIGTERM)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of chance() (default: random, printed in the summary)" };
        var log = new Option<string?>("--log") { Description = "Write every injection to this file as JSON lines" };
        var summary = new Option<string>("--summary") { Description = "Summary format at detach, on stderr", DefaultValueFactory = _ => "table" };
        summary.AcceptOnlyFromAmong("table", "json");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing of Phoebe's own" };
        var profile = RunCommand.ProfileOption();
        var metrics = new RunCommand.MetricsOptions("after detaching or the process's exit");
        var command = new Command("attach", "Inject into a running process until Ctrl-C, SIGTERM or --duration, then detach:\n" +
            "every thread resumes and the process goes on as if Phoebe had never been there.\n" +
            "Exit code: 0 after detaching (or when the target exited), 125 when Phoebe fails, 2 for usage errors.")
        {
            pid, files, rules, profile, duration, seed, log, summary, quiet,
        };
        metrics.AddTo(command);
        command.SetAction(parse => Run(parse.GetValue(pid), parse.GetValue(files) ?? [], parse.GetValue(rules) ?? [], parse.GetValue(profile),
            parse.GetValue(duration), parse.GetValue(seed), parse.GetValue(log), parse.GetValue(summary) == "json", parse.GetValue(quiet),
            metrics.Read(parse), stderr));
        return command;
    }

    private static int Run(int pid, string[] files, string[] inlineRules, string? profilePath, string? durationText, ulong? seed, string? logPath,
        bool jsonSummary, bool quiet, RunCommand.MetricsArguments metricsArguments, TextWriter stderr)
    {
        TimeSpan? duration = null;
        if (durationText != null)
        {
            if (!LiteralDecoder.TryParseDuration(durationText, out long ns) || ns <= 0 || !char.IsAsciiLetter(durationText[^1]))
            {
                stderr.WriteLine($"phoebe: --duration needs a positive duration such as 30s or 5m, not `{durationText}`");
                return ExitCodes.Usage;
            }
            duration = TimeSpan.FromTicks(ns / 100);
        }
        if (pid <= 0)
        {
            stderr.WriteLine($"phoebe: --pid needs a process id, not {pid}");
            return ExitCodes.Usage;
        }
        if (files.Length == 0 && inlineRules.Length == 0)
        {
            stderr.WriteLine("phoebe: attach needs rules: RULES.phb files or -e 'RULE ...'");
            return ExitCodes.Usage;
        }
        if (!metricsArguments.TryParse(stderr, out var metricsSettings)) return ExitCodes.Usage;
        var plan = RunCommand.Compile(files, inlineRules, quiet, stderr);
        if (plan is null || RunCommand.Unsupported(plan, stderr, profilePath is not null)) return RunCommand.PhoebeFailed;
        if (!RunCommand.TryBindProfile(profilePath, plan, quiet, stderr, out var observations)) return RunCommand.PhoebeFailed;

        ulong actualSeed = seed ?? (ulong)Random.Shared.NextInt64();
        if (!RunCommand.TryOpenLog(logPath, stderr, out var log)) return RunCommand.PhoebeFailed;
        using var _ = log;
        if (!RunCommand.MetricsExport.TryStart(metricsSettings, quiet, jsonSummary, stderr, out var metrics)) return RunCommand.PhoebeFailed;
        using var __ = metrics;
        var engine = new InjectionEngine(plan.Rules, new InjectionOptions
        {
            Seed = actualSeed,
            Log = log,
            InKernelErrno = false, // no filter is installed into a running process
            Observations = observations,
            OnLogAction = quiet ? null : message => stderr.WriteLine($"phoebe: {message}"),
        });
        // The monitor counts the process before Phoebe attaches, and the children it forks from then on: the
        // processes the injector traces (children it already had are neither injected into nor counted).
        metrics?.Sampler.Follow(pid);
        metrics?.Start(engine);
        var session = new PtraceSession(engine);
        int? exited;
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; session.Detach(); }))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; session.Detach(); }))
        using (PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; session.Detach(); }))
        {
            try
            {
                if (!quiet) stderr.WriteLine($"phoebe: attached to {pid}{(duration is { } d ? $" for {Lang.Semantics.Value.FormatDuration(d.Ticks * 100)}" : "; Ctrl-C detaches")}");
                exited = session.Attach(pid, duration);
            }
            catch (InjectionException e)
            {
                stderr.WriteLine($"phoebe: {e.Message}");
                if (e.MissingCapability) stderr.WriteLine(DoctorCommand.Hint);
                return RunCommand.PhoebeFailed;
            }
        }
        metrics?.Stop();
        if (!quiet)
        {
            string headline = exited is { } code
                ? $"phoebe: process {pid} exited with {code} after {engine.Elapsed.TotalSeconds:0.000} s (seed {actualSeed})"
                : $"phoebe: detached from {pid} after {engine.Elapsed.TotalSeconds:0.000} s (seed {actualSeed})";
            RunCommand.WriteSummary(stderr, engine, actualSeed, exited, jsonSummary, headline);
        }
        metrics?.Linger();
        return ExitCodes.Ok;
    }
}
