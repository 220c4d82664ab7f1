using System.Text.Json;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// <c>phoebe attach --profile</c>: <c>observed.*</c> binds for a running process as it does under
/// <c>phoebe run</c>, the feedback loop holds the rate while attached, and a profile without the rule's
/// entry is refused before the process is touched.
/// </summary>
public sealed class AttachProfileTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string WriteProfile() => dir.Write("profile.yaml", RateTests.Profile + "\n");

    [SkippableFact]
    public void Feedback_loop_holds_the_rate_of_an_attached_process()
    {
        // spin calls faccessat on a file that exists for 8 s; every natural call succeeds, so every
        // failure is injected. Attached for 4 s with observed.max = 0.2, the bound is 0.24: the share
        // of the calls made while attached that failed must be near it (the tolerance as in RateTests:
        // the overshoot is one-sided and small, a loop that did not regulate sits near 0 or 1).
        using var spin = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("spin"), ["8", "/etc/hostname"], dir.Path));
        Thread.Sleep(200);
        var r = PhoebeCli.Run(["attach", "--pid", spin.Id.ToString(), "--duration", "4s", "--summary", "json", "--profile", WriteProfile(),
            "-e", "RULE r ON faccessat EXIT IF rate < observed.max * 1.2 DO return ENOENT"], timeout: Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var summary = JsonDocument.Parse(r.Stderr[r.Stderr.IndexOf('{')..]);
        var rule = summary.RootElement.GetProperty("rules")[0];
        long calls = rule.GetProperty("calls").GetInt64();
        long injected = rule.GetProperty("injected").GetInt64();
        Assert.True(calls > 1000, $"too few calls while attached to measure a rate: {calls}\n{r}");
        Assert.InRange((double)injected / calls, 0.24 - 0.05, 0.24 + 0.05);

        // The process goes on after the detach and saw exactly the injected failures.
        var done = spin.WaitForExit(Timeout);
        Assert.True(done.ExitCode == 0, done.ToString());
        Assert.Contains($"errno ENOENT {injected}", done.StdoutLines);
    }

    [SkippableFact]
    public void A_profile_without_the_rules_entry_is_refused_before_attaching()
    {
        using var sleeper = RunningProcess.Start(new ProcessSpec("sleep", ["30"]));
        var r = PhoebeCli.Run(["attach", "--pid", sleeper.Id.ToString(), "--duration", "1s", "--profile", WriteProfile(),
            "-e", "RULE nope ON faccessat EXIT IF rate < observed.max DO return EACCES"], timeout: Timeout);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains("EACCES", r.Stderr);
        Assert.Contains("faccessat", r.Stderr);
        // Never attached: nobody traces the sleeper, and it still sleeps.
        var status = File.ReadAllLines($"/proc/{sleeper.Id}/status");
        Assert.Contains("TracerPid:\t0", status);
        Assert.StartsWith("State:\tS", status.First(l => l.StartsWith("State:", StringComparison.Ordinal)));
    }
}
