using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Phoebe.Lang.Catalog;
using Phoebe.Lang.Plan;
using Phoebe.Runtime.Health;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Scenarios;
using Phoebe.Runtime.Synthesis;

namespace Phoebe.Runtime.Experiments;

/// <summary>How to run a campaign.</summary>
public sealed class CampaignOptions
{
    /// <summary>How to run Phoebe's CLI for the injector: the program and the arguments before the subcommand.</summary>
    public required IReadOnlyList<string> Phoebe { get; init; }

    /// <summary>Where logs, the observed profile and synthesized rules go (the reports too, written by the caller).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The seed of the injector's <c>chance()</c> and of the random baselines.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Where progress goes (null: nowhere).</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Stops the campaign early (Ctrl-C): what was measured is still reported.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>
/// The orchestrator (docs/scenarios.md): starts the target under the injector, measures the steady state,
/// runs each experiment (enable its rules, check, disable, inspect), judges it, restarts the target when it
/// must, and returns everything it measured. Never leaves a process running.
/// </summary>
public sealed class Campaign
{
    private const int SIGKILL = 9;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan HangProbe = TimeSpan.FromSeconds(5);

    private readonly Scenario scenario;
    private readonly CampaignOptions options;
    private readonly Stopwatch clock = new();
    private readonly ProcessHealthTarget healthTarget = new(0);
    private readonly LiveStats stats = new();
    private readonly HealthRunner runner;
    private readonly List<string> ruleFiles = [];
    private readonly List<ExperimentSpec> experiments = [];
    private InjectorProcess? injector;
    private LoadProcess? load;
    private string? profilePath;
    private int restarts;
    private int starts;

    private Campaign(Scenario scenario, CampaignOptions options)
    {
        this.scenario = scenario;
        this.options = options;
        runner = new HealthRunner(healthTarget, stats);
    }

    /// <summary>Runs <paramref name="scenario"/>; throws <see cref="ExperimentException"/> when the target cannot be built, started or made ready.</summary>
    public static CampaignReport Run(Scenario scenario, CampaignOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        return new Campaign(scenario, options).Run();
    }

    private CancellationToken Cancel => options.Cancellation;

    private void Say(string line)
    {
        if (options.Progress is not { } w) return;
        lock (w)
        {
            w.WriteLine($"[{clock.Elapsed.TotalSeconds,6:0.0}s] {line}");
            w.Flush();
        }
    }

    private CampaignReport Run()
    {
        var started = DateTime.UtcNow;
        clock.Start();
        Directory.CreateDirectory(options.OutputDirectory);
        var results = new List<ExperimentResult>();
        var skipped = new List<SkippedExperiment>();
        PhaseResult steady = new(TimeSpan.Zero, TimeSpan.Zero, []);
        try
        {
            Build();
            profilePath = scenario.ProfilePath;
            var profile = scenario.Profile;
            if (scenario.Observe is { } observe && !Cancel.IsCancellationRequested) profile = Observe(observe);
            PlanExperiments(profile);
            if (Cancel.IsCancellationRequested) return Report(started, steady, results, Skip(experiments, "interrupted before it started"));

            StartTarget();
            steady = RunChecks(scenario.SteadyState.Duration, Checks(scenario.SteadyState.Checks), null);
            Say($"steady state: {Summary(steady)}");

            int crashes = 0;
            for (int i = 0; i < experiments.Count; i++)
            {
                var experiment = experiments[i];
                if (Cancel.IsCancellationRequested)
                {
                    skipped.AddRange(Skip(experiments.Skip(i), "interrupted before it started"));
                    break;
                }
                if (i > 0 && scenario.Target.Restart == RestartPolicy.Always) Restart("the scenario restarts it before every experiment");
                var result = RunExperiment(experiment, i + 1, steady);
                results.Add(result);
                if (result.Crashed) crashes++;
                if (scenario.AbortAfterCrashes is int limit && crashes >= limit)
                {
                    skipped.AddRange(Skip(experiments.Skip(i + 1), $"the campaign stopped after {crashes} crash{(crashes == 1 ? "" : "es")} (abort.crashes: {limit})"));
                    break;
                }
                if (result.Verdict is Verdict.Crashed or Verdict.Corrupted && i + 1 < experiments.Count)
                {
                    if (scenario.Target.Restart == RestartPolicy.Never)
                    {
                        skipped.AddRange(Skip(experiments.Skip(i + 1), $"the target {(result.Crashed ? "crashed" : "was corrupted")} and the scenario never restarts it"));
                        break;
                    }
                    if (scenario.Target.Restart == RestartPolicy.OnFailure)
                    {
                        Restart($"experiment {experiment.Name} {(result.Crashed ? "crashed" : "corrupted")} it");
                        results[^1] = result with { Restarted = true };
                    }
                }
                if (experiment.Cooldown > TimeSpan.Zero && i + 1 < experiments.Count) Sleep(experiment.Cooldown);
            }
            return Report(started, steady, results, skipped);
        }
        finally
        {
            StopEverything();
        }
    }

    private CampaignReport Report(DateTime started, PhaseResult steady, List<ExperimentResult> results, IEnumerable<SkippedExperiment> skipped) =>
        new(scenario.Name, scenario.Path, string.Join(' ', scenario.Target.Command), started, clock.Elapsed, options.Seed, scenario.Tolerance,
            steady, results, skipped.ToArray(), restarts, Cancel.IsCancellationRequested, scenario.Report.Allow);

    private static IEnumerable<SkippedExperiment> Skip(IEnumerable<ExperimentSpec> rest, string why) => rest.Select(e => new SkippedExperiment(e.Name, why));

    // ------------------------------------------------------------------ preparing

    private void Build()
    {
        if (scenario.Target.Build is not { } build) return;
        Say($"building: {string.Join(' ', build)}");
        var log = Path.Combine(options.OutputDirectory, "build.log");
        var info = StartInfo(build, scenario.Target.WorkingDirectory);
        using var process = System.Diagnostics.Process.Start(info) ?? throw new ExperimentException($"cannot run {build[0]}");
        using var logFile = new LogFile(log);
        logFile.Pump(process.StandardOutput);
        logFile.Pump(process.StandardError);
        process.WaitForExit();
        logFile.Flush();
        if (process.ExitCode != 0)
        {
            throw new ExperimentException($"the build `{string.Join(' ', build)}` failed with exit code {process.ExitCode}:\n{logFile.Tail(15)}");
        }
    }

    private ProcessStartInfo StartInfo(IReadOnlyList<string> command, string workdir)
    {
        var info = new ProcessStartInfo(ScenarioBinder.ProgramPath(command[0], workdir) ?? command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workdir,
        };
        foreach (var arg in command.Skip(1)) info.ArgumentList.Add(arg);
        foreach (var (name, value) in scenario.Target.Environment) info.Environment[name] = value;
        return info;
    }

    /// <summary>
    /// Runs the target without injection under the eBPF monitor (and the load) and returns what it saw as a
    /// profile. Where eBPF cannot run, says why in one line and observes with ptrace instead.
    /// </summary>
    private Profile Observe(ObserveSpec observe)
    {
        Say($"observing {string.Join(' ', scenario.Target.Command)} for {Format(observe.Duration)}");
        using var log = new LogFile(Path.Combine(options.OutputDirectory, "observe.log"));
        var info = StartInfo(scenario.Target.Command, scenario.Target.WorkingDirectory);
        using var process = System.Diagnostics.Process.Start(info) ?? throw new ExperimentException($"cannot run {scenario.Target.Command[0]}");
        process.StandardInput.Close();
        log.Pump(process.StandardOutput);
        log.Pump(process.StandardError);
        try
        {
            // Observe the target at work, not starting: its start-up calls (terminal ioctls, prctl, config
            // lookups) happen once and would become models that no experiment can ever inject into.
            healthTarget.Restarted(process.Id);
            WaitReady(() => process.HasExited ? InjectorProcess.Describe(process.ExitCode) : null);
            SyscallMonitor? monitor = null;
            try
            {
                monitor = SyscallMonitor.Start(process.Id);
            }
            catch (MonitorUnavailableException e)
            {
                string why = e.Message.Split('\n')[0];
                Say($"warning: eBPF is unavailable ({why}); observing with ptrace instead, which slows the target while it is observed (`phoebe doctor` tells what this machine can do)");
            }
            profilePath = Path.Combine(options.OutputDirectory, "profile.yaml");
            Profile profile;
            if (monitor is null)
            {
                profile = ObserveWithPtrace(observe, process, log, profilePath);
            }
            else
            {
                using (monitor) profile = ObserveWithEbpf(observe, process, monitor);
                File.WriteAllText(profilePath, ProfileWriter.ToYaml(profile));
            }
            Say($"observed {profile.Intervals} intervals: {profile.Syscalls.Count} syscalls, {profile.Errors.Count} kind{(profile.Errors.Count == 1 ? "" : "s")} of error; wrote {profilePath}");
            return profile;
        }
        finally
        {
            StopLoad();
            if (!process.HasExited)
            {
                Interop.LibC.Kill(process.Id, scenario.Target.StopSignal);
                if (!process.WaitForExit(scenario.Target.StopTimeout)) process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            log.Flush();
        }
    }

    private Profile ObserveWithEbpf(ObserveSpec observe, System.Diagnostics.Process process, SyscallMonitor monitor)
    {
        StartLoad();
        var observation = new Observation(observe.Interval);
        var end = clock.Elapsed + observe.Duration;
        var next = clock.Elapsed + observe.Interval;
        while (clock.Elapsed < end && !Cancel.IsCancellationRequested && !process.HasExited)
        {
            Sleep(Min(next, end) - clock.Elapsed);
            if (clock.Elapsed >= next || clock.Elapsed >= end)
            {
                observation.Add(monitor.Collect());
                next += observe.Interval;
            }
        }
        ThrowIfExited(process);
        return observation.ToProfile(Path.GetFileName(scenario.Target.Command[0]));
    }

    /// <summary>
    /// <c>phoebe observe --backend ptrace --pid</c> in a process of its own, writing <paramref name="path"/>: a
    /// tracer in this process would receive the stops of its own child through the runtime's waitpid.
    /// </summary>
    private Profile ObserveWithPtrace(ObserveSpec observe, System.Diagnostics.Process target, LogFile log, string path)
    {
        var info = new ProcessStartInfo(options.Phoebe[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in options.Phoebe.Skip(1)) info.ArgumentList.Add(arg);
        foreach (var arg in (string[])["observe", "--backend", "ptrace", "-q", "--pid", target.Id.ToString(CultureInfo.InvariantCulture),
                     "--interval", Milliseconds(observe.Interval), "--duration", Milliseconds(observe.Duration), "-o", path])
        {
            info.ArgumentList.Add(arg);
        }
        using var observer = System.Diagnostics.Process.Start(info) ?? throw new ExperimentException("cannot start phoebe observe");
        observer.StandardInput.Close();
        log.Pump(observer.StandardOutput);
        log.Pump(observer.StandardError);
        try
        {
            // The load starts once the tracer holds the target, as it does once the eBPF monitor counts.
            var attachBy = clock.Elapsed + TimeSpan.FromSeconds(10);
            // TracerPid is the tracing thread, not its process.
            while (Interop.ProcFs.Tgid(Interop.ProcFs.StatusField(target.Id, "TracerPid:")) != observer.Id && !observer.HasExited && clock.Elapsed < attachBy) Thread.Sleep(5);
            if (!observer.HasExited) StartLoad();
            // One SIGINT only: observe ends early on it and writes what it saw.
            bool interrupted = false;
            while (!observer.WaitForExit(100))
            {
                if (!interrupted && (Cancel.IsCancellationRequested || target.HasExited)) interrupted = Interop.LibC.Kill(observer.Id, SIGINT) == 0;
            }
            log.Flush();
            ThrowIfExited(target);
            if (observer.ExitCode != 0 || !File.Exists(path))
            {
                throw new ExperimentException($"cannot observe the target with ptrace either (phoebe observe {InjectorProcess.Describe(observer.ExitCode)}): {log.Tail(3)}; give the scenario a `profile:` instead of `observe:`");
            }
        }
        finally
        {
            if (!observer.HasExited)
            {
                // Interrupted observing still detaches and writes the profile; do not leave the target traced.
                Interop.LibC.Kill(observer.Id, SIGINT);
                if (!observer.WaitForExit(TimeSpan.FromSeconds(30))) observer.Kill();
            }
        }
        var read = ProfileReader.ReadFile(path);
        return read.Profile ?? throw new ExperimentException($"phoebe observe wrote a profile that cannot be read: {read.Diagnostics.FirstOrDefault()?.Message}");
    }

    private void ThrowIfExited(System.Diagnostics.Process process)
    {
        if (process.HasExited) throw new ExperimentException($"the target {InjectorProcess.Describe(process.ExitCode)} while it was observed; see {Path.Combine(options.OutputDirectory, "observe.log")}");
    }

    private const int SIGINT = 2;

    private static string Milliseconds(TimeSpan t) => $"{Math.Max(1, (long)t.TotalMilliseconds)}ms";

    /// <summary>The written experiments, then one per synthesized model (and its random baseline); writes the synthesized rules.</summary>
    private void PlanExperiments(Profile? profile)
    {
        ruleFiles.AddRange(scenario.RuleFiles);
        experiments.AddRange(scenario.Experiments);
        if (!scenario.Synthesize || profile is null) return;
        var synthesized = ErrorModelSynthesizer.Synthesize(profile, scenario.Synthesis);
        var taken = scenario.Plan.Rules.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append("# Rules of the experiments synthesized by `phoebe experiment` from the profile (docs/scenarios.md).\n");
        var random = new Random((int)(options.Seed ^ (options.Seed >> 32)));
        var extra = new List<ExperimentSpec>();
        foreach (var model in synthesized)
        {
            string name = ErrorModelRuleWriter.UniqueName(model, taken);
            text.Append(CultureInfo.InvariantCulture,
                $"\n# {model.Case.ToString().ToLowerInvariant()} model: observed max {model.Observed.Max:0.######}, var {model.Observed.Var:0.########}\n");
            var phase = SynthesisPhases.For(model.Syscall, scenario.SynthesisPhase);
            text.Append(CultureInfo.InvariantCulture,
                $"RULE {name} ON {model.Syscall} {SynthesisPhases.Condition(phase, ErrorModelRuleWriter.FloatLiteral(model.Rate))} DO return {model.Errno}\n");
            extra.Add(new ExperimentSpec(name, [], scenario.SynthesizedDuration, scenario.SynthesizedCooldown, model));
            if (!scenario.RandomBaseline) continue;
            // The paper's comparison: a random errno from the syscall's realistic list, at rate 0.5.
            var realistic = SyscallErrors.For(model.Syscall) is { Count: > 0 } list ? list : [model.Errno];
            string errno = realistic[random.Next(realistic.Count)];
            var baseline = model with { Errno = errno, Rate = 0.5 };
            string randomName = ErrorModelRuleWriter.UniqueName(baseline with { Syscall = "random_" + model.Syscall }, taken);
            text.Append(CultureInfo.InvariantCulture, $"# random baseline of {name}: {errno} drawn from {model.Syscall}'s documented errors, at rate 0.5\n");
            text.Append(CultureInfo.InvariantCulture, $"RULE {randomName} ON {model.Syscall} {SynthesisPhases.Condition(phase, "0.5")} DO return {errno}\n");
            extra.Add(new ExperimentSpec(randomName, [], scenario.SynthesizedDuration, scenario.SynthesizedCooldown, baseline, RandomBaseline: true));
        }
        string path = Path.Combine(options.OutputDirectory, "synthesized.phb");
        File.WriteAllText(path, text.ToString());
        ruleFiles.Add(path);
        experiments.AddRange(extra);
        Say($"synthesized {synthesized.Count} model{(synthesized.Count == 1 ? "" : "s")} from the profile" + (scenario.RandomBaseline ? ", each with a random baseline" : "") + $"; wrote {path}");
    }

    // ------------------------------------------------------------------ the target

    private void StartTarget()
    {
        starts++;
        string log = Path.Combine(options.OutputDirectory, starts == 1 ? "target.log" : $"target.{starts}.log");
        Say($"starting {string.Join(' ', scenario.Target.Command)} under the injector" + (starts > 1 ? $" (start {starts})" : ""));
        injector = InjectorProcess.Start(options.Phoebe, ruleFiles, profilePath, options.Seed, scenario.Target.Command,
            scenario.Target.WorkingDirectory, scenario.Target.Environment, log, scenario.Target.Ready.Timeout);
        healthTarget.Restarted(injector.TargetPid);
        var current = injector;
        WaitReady(() => current.HasExited ? InjectorProcess.Describe(current.ExitCode!.Value) : null);
        Say($"ready (pid {injector.TargetPid})");
        StartLoad();
    }

    private void Restart(string why)
    {
        Say($"restarting the target: {why}");
        StopTarget();
        restarts++;
        StartTarget();
    }

    private void StopTarget()
    {
        if (injector is null) return;
        injector.Stop(scenario.Target.StopSignal, scenario.Target.StopTimeout);
        injector.Dispose();
        injector = null;
    }

    private void StopEverything()
    {
        StopLoad();
        StopTarget();
    }

    /// <summary>Waits until every readiness condition holds; <paramref name="gone"/> says how the target went, if it did.</summary>
    private void WaitReady(Func<string?> gone)
    {
        var ready = scenario.Target.Ready;
        var deadline = clock.Elapsed + ready.Timeout;
        string Describe() => gone() is { } how ? $"the target {how} before it was ready" : $"the target was not ready within {Format(ready.Timeout)}";
        if (ready.Tcp is { } endpoint)
        {
            while (!Accepts(endpoint, TimeSpan.FromMilliseconds(500)))
            {
                if (gone() is not null || clock.Elapsed > deadline) throw new ExperimentException(Describe() + $" (nothing accepted connections on {endpoint})");
                Sleep(TimeSpan.FromMilliseconds(50));
                if (Cancel.IsCancellationRequested) return;
            }
        }
        if (ready.Check is { } name && scenario.CompiledChecks.TryGetValue(name, out var check))
        {
            while (!runner.RunAsync(check, Cancel).GetAwaiter().GetResult().Ok)
            {
                if (gone() is not null || clock.Elapsed > deadline) throw new ExperimentException(Describe() + $" (the check {name} did not pass)");
                Sleep(TimeSpan.FromMilliseconds(100));
                if (Cancel.IsCancellationRequested) return;
            }
        }
        if (ready.Delay is { } delay) Sleep(delay);
        if (gone() is { } how) throw new ExperimentException($"the target {how} right after it was ready");
    }

    private static bool Accepts(System.Net.IPEndPoint endpoint, TimeSpan timeout)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            return socket.ConnectAsync(endpoint).Wait(timeout) && socket.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
    }

    private void StartLoad()
    {
        if (scenario.Load is not { } spec || load is not null) return;
        load = new LoadProcess(StartInfo(spec.Command, scenario.Target.WorkingDirectory), Path.Combine(options.OutputDirectory, "load.log"));
        load.Begin();
        Say($"load: {string.Join(' ', spec.Command)}");
    }

    private void StopLoad()
    {
        load?.Dispose();
        load = null;
    }

    // ------------------------------------------------------------------ experiments

    private ExperimentResult RunExperiment(ExperimentSpec experiment, int number, PhaseResult steady)
    {
        // A synthesized experiment enables the one rule of its name, written into synthesized.phb.
        var model = experiment.Model;
        var names = model is null ? experiment.Rules.Select(r => r.Name).ToArray() : [experiment.Name];
        string syscall = model?.Syscall ?? string.Join(", ", experiment.Rules.SelectMany(r => r.Syscalls.Select(s => s.Name)).Distinct());
        string errno = model?.Errno ?? string.Join(", ", experiment.Rules.Select(r => r.Errno).OfType<string>().Distinct());
        Say($"experiment {number}/{experiments.Count} {experiment.Name}: {string.Join(", ", names)} for {Format(experiment.Duration)}");
        var timeline = new List<InjectionSample>();
        var first = Counters(names);
        var before = first.ToDictionary(r => r.Name, r => r.Injected, StringComparer.Ordinal);
        long calls0 = first.Sum(r => r.Calls), logged0 = injector!.LoggedInjections(names);
        string? crash = null;
        PhaseResult window;
        try
        {
            injector!.Enable(names);
            stats.Begin();
            var lastReport = clock.Elapsed;
            window = RunChecks(experiment.Duration, Checks(scenario.SteadyState.Checks), () =>
            {
                if (injector.HasExited)
                {
                    crash = InjectorProcess.Describe(injector.ExitCode!.Value);
                    return true;
                }
                var byRule = Counters(names).ToDictionary(r => r.Name, r => r.Injected - before.GetValueOrDefault(r.Name), StringComparer.Ordinal);
                long injected = byRule.Values.Sum();
                stats.Set(byRule);
                timeline.Add(new InjectionSample(clock.Elapsed, injected));
                if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(2))
                {
                    lastReport = clock.Elapsed;
                    Say($"  {injected} injection{(injected == 1 ? "" : "s")} so far");
                }
                return false;
            });
            if (crash is null) injector.Disable(names);
        }
        catch (TargetGoneException e)
        {
            crash = e.How;
            window = new PhaseResult(clock.Elapsed, clock.Elapsed, []);
        }
        var last = Counters(names);
        long injections = crash is null
            ? Math.Max(0, last.Sum(r => r.Injected) - before.Values.Sum())
            : Math.Max(timeline.LastOrDefault()?.Injections ?? 0, injector!.LoggedInjections(names) - logged0); // the socket is gone with the target
        long calls = Math.Max(0, last.Sum(r => r.Calls) - calls0);
        if (timeline.Count > 0 || injections > 0) timeline.Add(new InjectionSample(clock.Elapsed, injections));

        PhaseResult? post = null;
        crash ??= LostReadiness();
        if (crash is null)
        {
            post = RunChecks(scenario.PostInspection.Duration, Checks(scenario.PostInspection.Checks.Count > 0 ? scenario.PostInspection.Checks : scenario.SteadyState.Checks),
                () =>
                {
                    if (!injector!.HasExited) return false;
                    crash = InjectorProcess.Describe(injector.ExitCode!.Value);
                    return true;
                });
        }
        var (verdict, why) = Judge(window, post, steady, crash);
        Say($"  → {verdict.ToString().ToLowerInvariant()}: {why} ({injections} injection{(injections == 1 ? "" : "s")})");
        return new ExperimentResult(experiment.Name, names, syscall, errno, model?.Rate, model?.Case.ToString().ToLowerInvariant(), experiment.RandomBaseline,
            injections, calls, window, post, timeline, crash is not null, crash, verdict == Verdict.Corrupted, false, verdict, why);
    }

    /// <summary>
    /// After the injection window: null when the target is still ready, else why not (a hang). A TCP address alone
    /// cannot tell a hung event loop from a live one (the kernel completes the handshake), so the readiness check,
    /// when the scenario has one, must answer too, within a few seconds, without timing out.
    /// </summary>
    private string? LostReadiness()
    {
        var ready = scenario.Target.Ready;
        var limit = Min(HangProbe, ready.Timeout);
        if (ready.Tcp is { } endpoint && !Accepts(endpoint, limit)) return $"stopped accepting connections on {endpoint} (a hang)";
        if (ready.Check is not { } name || !scenario.CompiledChecks.TryGetValue(name, out var check)) return null;
        // Only silence is a hang: a check that answers, even unhealthily, shows a live target (post-inspection judges it).
        var deadline = clock.Elapsed + limit;
        HealthOutcome outcome;
        while ((outcome = runner.RunAsync(check, Cancel).GetAwaiter().GetResult()).Status is HealthStatus.TimedOut or HealthStatus.NotStarted)
        {
            if (injector!.HasExited) return InjectorProcess.Describe(injector.ExitCode!.Value);
            if (clock.Elapsed > deadline || Cancel.IsCancellationRequested)
            {
                return $"stopped answering its readiness check {name} for {Format(limit)} after injection stopped (a hang: {outcome.Message ?? "no answer"})";
            }
            Sleep(TimeSpan.FromMilliseconds(200));
        }
        return null;
    }

    /// <summary>The verdict (docs/scenarios.md) and its reason.</summary>
    internal (Verdict Verdict, string Why) Judge(PhaseResult window, PhaseResult? post, PhaseResult steady, string? crash)
    {
        if (crash is not null) return (Verdict.Crashed, $"the target {crash}");
        // Post-inspection: the target must have recovered by its end, so a check's last run decides.
        var stillFailing = post?.Checks.Where(c => c.Samples.Count > 0 && !c.Samples[^1].Ok).Select(c => c.Check).ToArray() ?? [];
        if (stillFailing.Length > 0)
        {
            return (Verdict.Corrupted, $"{string.Join(", ", stillFailing)} still failed after injection stopped");
        }
        var worse = new List<string>();
        foreach (var check in window.Checks.Where(c => c.Runs > 0))
        {
            double baseline = steady.Checks.FirstOrDefault(c => c.Check == check.Check)?.SuccessRatio ?? 1;
            if (check.SuccessRatio < baseline - scenario.Tolerance - 1e-9)
            {
                worse.Add(string.Create(CultureInfo.InvariantCulture, $"{check.Check} passed {check.SuccessRatio * 100:0}% of runs (steady state {baseline * 100:0}%)"));
            }
        }
        return worse.Count > 0
            ? (Verdict.Degraded, string.Join("; ", worse) + " while injecting, and recovered after")
            : (Verdict.Resilient, "every check stayed within the steady state's tolerance");
    }

    /// <summary>The counters of the rules named <paramref name="names"/>: one round trip to the injector; none once it has gone.</summary>
    private RuleCounters[] Counters(IReadOnlyCollection<string> names)
    {
        if (injector is null || injector.HasExited) return [];
        try
        {
            return [.. injector.Stats().Rules.Where(r => names.Contains(r.Name))];
        }
        catch (TargetGoneException)
        {
            return [];
        }
    }

    // ------------------------------------------------------------------ checks

    private IReadOnlyList<CompiledHealthCheck> Checks(IReadOnlyList<string> names) =>
        names.Count == 0 ? scenario.CompiledChecks.Values.ToArray() : names.Where(scenario.CompiledChecks.ContainsKey).Select(n => scenario.CompiledChecks[n]).ToArray();

    /// <summary>
    /// Runs <paramref name="checks"/>, each at its EVERY period, for <paramref name="duration"/>; <paramref name="tick"/>
    /// is called every 250 ms and ends the phase early by returning true.
    /// </summary>
    private PhaseResult RunChecks(TimeSpan duration, IReadOnlyList<CompiledHealthCheck> checks, Func<bool>? tick)
    {
        var start = clock.Elapsed;
        var end = start + duration;
        var samples = checks.ToDictionary(c => c.Name, _ => new List<CheckSample>(), StringComparer.Ordinal);
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var loops = checks.Select(check => Task.Run(async () =>
        {
            while (!phase.IsCancellationRequested && clock.Elapsed < end)
            {
                var at = clock.Elapsed;
                var outcome = await runner.RunAsync(check, phase.Token).ConfigureAwait(false);
                if (outcome.Status == HealthStatus.Cancelled || phase.IsCancellationRequested) break;
                lock (samples) samples[check.Name].Add(new CheckSample(at, outcome.Ok, outcome.Value, outcome.Message, outcome.Duration.TotalMilliseconds));
                var wait = Min(at + (check.Every > TimeSpan.Zero ? check.Every : TimeSpan.FromSeconds(1)), end) - clock.Elapsed;
                if (wait <= TimeSpan.Zero) continue;
                try
                {
                    await Task.Delay(wait, phase.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        })).ToArray();
        while (clock.Elapsed < end && !Cancel.IsCancellationRequested)
        {
            Sleep(Min(Tick, end - clock.Elapsed));
            if (tick?.Invoke() == true) break;
            if (load is not null) load.KeepRunning();
        }
        phase.Cancel();
        Task.WaitAll(loops, HealthRunner.Grace + TimeSpan.FromSeconds(1));
        lock (samples)
        {
            return new PhaseResult(start, clock.Elapsed, checks.Select(c =>
            {
                var list = samples[c.Name].ToArray();
                return new CheckSummary(c.Name, list.Length, list.Count(s => !s.Ok), list);
            }).ToArray());
        }
    }

    private static string Summary(PhaseResult phase) =>
        phase.Checks.Count == 0 ? "no checks" : string.Join(", ", phase.Checks.Select(c => $"{c.Check} {c.Runs - c.Failures}/{c.Runs}"));

    // ------------------------------------------------------------------ helpers

    private void Sleep(TimeSpan time)
    {
        if (time > TimeSpan.Zero) Cancel.WaitHandle.WaitOne(time);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string Format(TimeSpan t) => t == TimeSpan.Zero ? "0s" : Lang.Semantics.Value.FormatDuration(t.Ticks * 100);

    /// <summary>The numbers a health check reads as <c>Stats</c>: time and injections of the current experiment, per rule.</summary>
    private sealed class LiveStats : IHealthStats
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private volatile IReadOnlyDictionary<string, long> byRule = new Dictionary<string, long>();

        public TimeSpan Elapsed => clock.Elapsed;

        public long Injections => byRule.Values.Sum();

        public long InjectionsOf(string rule) => byRule.GetValueOrDefault(rule);

        public void Begin()
        {
            clock.Restart();
            byRule = new Dictionary<string, long>();
        }

        public void Set(IReadOnlyDictionary<string, long> injected) => byRule = injected;
    }

    /// <summary>The scenario's workload: started once the target is ready, restarted when it exits, killed at the end.</summary>
    private sealed class LoadProcess(ProcessStartInfo info, string logPath) : IDisposable
    {
        private readonly LogFile log = new(logPath);
        private System.Diagnostics.Process? process;

        public void Begin() => process = Start(info, log);

        private static System.Diagnostics.Process? Start(ProcessStartInfo info, LogFile log)
        {
            try
            {
                var p = System.Diagnostics.Process.Start(info);
                if (p is null) return null;
                p.StandardInput.Close();
                log.Pump(p.StandardOutput);
                log.Pump(p.StandardError);
                return p;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                log.Write($"phoebe: cannot start the load: {e.Message}");
                return null;
            }
        }

        public void KeepRunning()
        {
            if (process is { HasExited: true })
            {
                log.Write($"phoebe: the load exited with {process.ExitCode}; starting it again");
                process.Dispose();
                process = Start(info, log);
            }
        }

        public void Dispose()
        {
            if (process is null) return;
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
            process = null;
            log.Dispose();
        }
    }
}
