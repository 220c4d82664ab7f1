namespace Phoebe.Runtime.Doctor;

/// <summary>
/// One mechanism Phoebe uses or could use, as <c>phoebe doctor</c> found it by trying it on this machine.
/// </summary>
/// <param name="Name">The mechanism, in a user's words ("seccomp user notification").</param>
/// <param name="Available">Whether the trial succeeded.</param>
/// <param name="Detail">What the trial found, in one line (a version, a reason, a measured cost).</param>
/// <param name="Gives">What this mechanism serves (the backends and commands that use it).</param>
/// <param name="Fix">How to get it when it is missing; null when it is there or nothing can be done.</param>
/// <param name="MainJob">Whether the README's main job (an experiment) needs it; a missing one makes doctor exit 1.</param>
/// <param name="Took">How long the trial took.</param>
public sealed record MachineCheck(string Name, bool Available, string Detail, string Gives, string? Fix, bool MainJob, TimeSpan Took)
{
    /// <summary>The check as the table shows it: ok, missing, or optional when an optional mechanism is missing.</summary>
    public string Status => Available ? "ok" : MainJob ? "MISSING" : "no";
}
