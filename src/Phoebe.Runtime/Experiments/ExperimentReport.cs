using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Experiments;

/// <summary>One run of one health check.</summary>
/// <param name="At">When it started, from the start of the campaign.</param>
/// <param name="Ok">Whether it passed (a check that threw or timed out did not).</param>
/// <param name="Value">The value it reported, if any.</param>
/// <param name="Message">Its message, the exception's, or "timed out after D".</param>
/// <param name="DurationMs">How long it ran.</param>
public sealed record CheckSample(TimeSpan At, bool Ok, double? Value, string? Message, double DurationMs);

/// <summary>A check's runs in one phase, summarised.</summary>
/// <param name="Check">The check's name.</param>
/// <param name="Runs">How many times it ran.</param>
/// <param name="Failures">How many of those failed.</param>
/// <param name="Samples">Every run, in order.</param>
public sealed record CheckSummary(string Check, int Runs, int Failures, IReadOnlyList<CheckSample> Samples)
{
    /// <summary>Failures / runs (0 when it never ran).</summary>
    public double FailureRatio => Runs == 0 ? 0 : (double)Failures / Runs;

    /// <summary>1 − <see cref="FailureRatio"/>.</summary>
    public double SuccessRatio => 1 - FailureRatio;
}

/// <summary>The injections made so far, sampled during an experiment (for the charts).</summary>
/// <param name="At">When, from the start of the campaign.</param>
/// <param name="Injections">Injections of the experiment's rules since it began.</param>
public sealed record InjectionSample(TimeSpan At, long Injections);

/// <summary>A phase that runs checks: the steady state, an experiment's injection window, a post-inspection.</summary>
/// <param name="Start">When it began, from the start of the campaign.</param>
/// <param name="End">When it ended.</param>
/// <param name="Checks">Each check's runs.</param>
public sealed record PhaseResult(TimeSpan Start, TimeSpan End, IReadOnlyList<CheckSummary> Checks);

/// <summary>What one experiment did and what came of it.</summary>
/// <param name="Name">The experiment's name.</param>
/// <param name="Rules">The names of the rules it enabled.</param>
/// <param name="Syscall">The syscalls its rules inject into, comma-separated.</param>
/// <param name="Errno">The errnos they return, comma-separated ("" for rules that inject no errno: delays, signals, results).</param>
/// <param name="Rate">The injection probability of a synthesized model; null for written experiments.</param>
/// <param name="Case">The model's case (sporadic, fluctuating, steady); null for written experiments.</param>
/// <param name="RandomBaseline">True for a random-errno baseline.</param>
/// <param name="Injections">Injections made by its rules during the window.</param>
/// <param name="Calls">Calls of its rules' syscalls seen by the injector during the window.</param>
/// <param name="Window">The injection window.</param>
/// <param name="PostInspection">The checks after the window (null when the target crashed first).</param>
/// <param name="InjectionTimeline">Injections over time during the window.</param>
/// <param name="Crashed">The target exited, was killed or stopped being ready during the experiment.</param>
/// <param name="CrashReason">What happened ("exited with 139", "killed by SIGSEGV", "not ready within 10s").</param>
/// <param name="Corrupted">Post-inspection failed.</param>
/// <param name="Restarted">The target was restarted after this experiment.</param>
/// <param name="Verdict">The verdict.</param>
/// <param name="Why">The verdict's reason, in a sentence.</param>
public sealed record ExperimentResult(
    string Name,
    IReadOnlyList<string> Rules,
    string Syscall,
    string Errno,
    double? Rate,
    string? Case,
    bool RandomBaseline,
    long Injections,
    long Calls,
    PhaseResult Window,
    PhaseResult? PostInspection,
    IReadOnlyList<InjectionSample> InjectionTimeline,
    bool Crashed,
    string? CrashReason,
    bool Corrupted,
    bool Restarted,
    Verdict Verdict,
    string Why);

/// <summary>Everything a campaign measured: what <c>report.json</c> holds and the other reports show.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="ScenarioPath">The scenario file, as given.</param>
/// <param name="Target">The target's command line.</param>
/// <param name="StartedUtc">When the campaign started.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Seed">The seed of the injector's <c>chance()</c>.</param>
/// <param name="Tolerance">The steady-state tolerance.</param>
/// <param name="SteadyState">The baseline.</param>
/// <param name="Experiments">Every experiment that ran, in order.</param>
/// <param name="Skipped">Experiments not run, with why ("aborted after 2 crashes", "interrupted").</param>
/// <param name="Restarts">How many times the target was restarted.</param>
/// <param name="Interrupted">True when Ctrl-C or SIGTERM ended the campaign early.</param>
/// <param name="Allow">The worst verdict the scenario allows.</param>
public sealed record CampaignReport(
    string Scenario,
    string ScenarioPath,
    string Target,
    DateTime StartedUtc,
    TimeSpan Duration,
    ulong Seed,
    double Tolerance,
    PhaseResult SteadyState,
    IReadOnlyList<ExperimentResult> Experiments,
    IReadOnlyList<SkippedExperiment> Skipped,
    int Restarts,
    bool Interrupted,
    Verdict Allow)
{
    /// <summary>The worst verdict of all experiments (resilient when none ran).</summary>
    public Verdict Worst => Experiments.Count == 0 ? Verdict.Resilient : Experiments.Max(e => e.Verdict);

    /// <summary>True when some verdict is worse than <see cref="Allow"/>: <c>phoebe experiment</c> then exits non-zero.</summary>
    public bool Failed => Worst > Allow;
}

/// <summary>An experiment that did not run, and why.</summary>
public sealed record SkippedExperiment(string Name, string Reason);
