using System.Net;
using Phoebe.Lang.Plan;
using Phoebe.Runtime.Health;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Synthesis;

namespace Phoebe.Runtime.Scenarios;

/// <summary>How an experiment ended for the target, from best to worst (docs/scenarios.md).</summary>
public enum Verdict
{
    /// <summary>The health checks stayed within the steady state's tolerance while injecting.</summary>
    Resilient,

    /// <summary>Checks failed while injecting, and recovered once injection stopped.</summary>
    Degraded,

    /// <summary>The target exited, was killed, or stopped being ready (a hang) during the experiment.</summary>
    Crashed,

    /// <summary>Checks still failed after injection stopped (post-inspection): the errors damaged the target's state.</summary>
    Corrupted,
}

/// <summary>When the orchestrator restarts the target.</summary>
public enum RestartPolicy
{
    /// <summary>Never: a crash or corruption ends the campaign (the remaining experiments are not run).</summary>
    Never,

    /// <summary>After an experiment that crashed it or corrupted its state (the default).</summary>
    OnFailure,

    /// <summary>Before every experiment, so each starts from a fresh target.</summary>
    Always,
}

/// <summary>How to know that the target is ready: every condition given must hold, within <see cref="Timeout"/>.</summary>
/// <param name="Tcp">A TCP address that must accept connections.</param>
/// <param name="Check">A health check that must pass.</param>
/// <param name="Delay">A time to wait after the start (and after the other conditions).</param>
/// <param name="Timeout">How long the target may take to be ready before it counts as failed to start.</param>
public sealed record Readiness(IPEndPoint? Tcp, string? Check, TimeSpan? Delay, TimeSpan Timeout)
{
    /// <summary>The default <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
}

/// <summary>The program under test and how to run it.</summary>
/// <param name="Command">The program and its arguments (the program is looked up in PATH unless it has a slash).</param>
/// <param name="WorkingDirectory">Absolute; the scenario file's directory unless given.</param>
/// <param name="Environment">Variables added to Phoebe's environment.</param>
/// <param name="Build">A command run once in <see cref="WorkingDirectory"/> before anything else (e.g. to compile the target); null for none.</param>
/// <param name="Ready">How to know it is ready.</param>
/// <param name="Restart">When to restart it.</param>
/// <param name="StopSignal">The signal that asks it to stop (SIGTERM unless given); SIGKILL follows after <see cref="StopTimeout"/>.</param>
/// <param name="StopTimeout">How long it may take to stop.</param>
public sealed record TargetSpec(
    IReadOnlyList<string> Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string>? Build,
    Readiness Ready,
    RestartPolicy Restart,
    int StopSignal,
    TimeSpan StopTimeout);

/// <summary>A phase that runs health checks for a while: the steady state or post-inspection.</summary>
/// <param name="Duration">How long the checks run.</param>
/// <param name="Checks">The checks' names (all the scenario's checks unless given).</param>
public sealed record CheckPhase(TimeSpan Duration, IReadOnlyList<string> Checks);

/// <summary>One experiment: enable some rules for a while, judge the target, then inspect it without injection.</summary>
/// <param name="Name">Unique in the scenario.</param>
/// <param name="Rules">The plans of the rules it enables.</param>
/// <param name="Duration">How long the rules stay enabled.</param>
/// <param name="Cooldown">A pause after post-inspection, before the next experiment.</param>
/// <param name="Model">The error model it was synthesized from; null for an experiment written in the scenario.</param>
/// <param name="RandomBaseline">True for the random-errno comparison of a synthesized model.</param>
public sealed record ExperimentSpec(
    string Name,
    IReadOnlyList<RulePlan> Rules,
    TimeSpan Duration,
    TimeSpan Cooldown,
    ErrorModel? Model = null,
    bool RandomBaseline = false);

/// <summary>Observe the target before the experiments and use what was seen as the profile.</summary>
public sealed record ObserveSpec(TimeSpan Duration, TimeSpan Interval);

/// <summary>A workload run next to the target while it is checked (e.g. <c>redis-benchmark</c>).</summary>
/// <param name="Command">The program and its arguments; restarted when it exits while needed.</param>
public sealed record LoadSpec(IReadOnlyList<string> Command);

/// <summary>The report files and the verdict a CI gate allows.</summary>
/// <param name="Formats">Some of md, json, html.</param>
/// <param name="Allow">The worst verdict that still lets <c>phoebe experiment</c> exit 0.</param>
public sealed record ReportSpec(IReadOnlyList<string> Formats, Verdict Allow);

/// <summary>A validated chaos scenario (docs/scenarios.md) with everything it references loaded.</summary>
/// <param name="Path">The scenario file.</param>
/// <param name="Name">Its name (the file's name without extension unless given).</param>
/// <param name="Target">The program under test.</param>
/// <param name="Plan">The rules and health checks of every referenced .phb file.</param>
/// <param name="RuleFiles">The absolute paths of the <c>rules</c> files, for the injector.</param>
/// <param name="Profile">The profile, when one is given.</param>
/// <param name="ProfilePath">Its absolute path.</param>
/// <param name="Observe">Observe first (then synthesize from what was observed), when given.</param>
/// <param name="SteadyState">The baseline phase.</param>
/// <param name="Tolerance">How much lower than in the steady state a check's success ratio may be for the target to count as resilient.</param>
/// <param name="Experiments">The experiments written in the scenario, in order.</param>
/// <param name="Synthesize">Also one experiment per error model synthesized from the profile.</param>
/// <param name="Synthesis">The synthesis parameters.</param>
/// <param name="RandomBaseline">Also, per synthesized model, a random errno from the syscall's realistic list at rate 0.5.</param>
/// <param name="SynthesizedDuration">The duration of synthesized experiments.</param>
/// <param name="SynthesizedCooldown">The cooldown of synthesized experiments.</param>
/// <param name="PostInspection">The phase after each experiment.</param>
/// <param name="AbortAfterCrashes">Stop the campaign after this many crashes (null: never).</param>
/// <param name="Load">The workload, when given.</param>
/// <param name="Report">The outputs.</param>
public sealed record Scenario(
    string Path,
    string Name,
    TargetSpec Target,
    InjectionPlan Plan,
    IReadOnlyList<string> RuleFiles,
    Profile? Profile,
    string? ProfilePath,
    ObserveSpec? Observe,
    CheckPhase SteadyState,
    double Tolerance,
    IReadOnlyList<ExperimentSpec> Experiments,
    bool Synthesize,
    SynthesisParameters Synthesis,
    bool RandomBaseline,
    TimeSpan SynthesizedDuration,
    TimeSpan SynthesizedCooldown,
    CheckPhase PostInspection,
    int? AbortAfterCrashes,
    LoadSpec? Load,
    ReportSpec Report)
{
    /// <summary>The version of the format this Phoebe reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The health checks by name.</summary>
    public IReadOnlyDictionary<string, HealthCheckPlan> Checks { get; } =
        Plan.HealthChecks.ToDictionary(h => h.Name, StringComparer.Ordinal);

    /// <summary>When synthesized rules inject (<c>synthesize.phase</c>).</summary>
    public SynthesisPhase SynthesisPhase { get; init; } = SynthesisPhase.Exit;

    /// <summary>The health checks compiled (their C#), by name.</summary>
    public IReadOnlyDictionary<string, CompiledHealthCheck> CompiledChecks { get; init; } = new Dictionary<string, CompiledHealthCheck>();
}
