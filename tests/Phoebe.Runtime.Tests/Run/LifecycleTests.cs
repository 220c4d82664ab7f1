using System.Diagnostics;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// <c>phoebe attach</c> on a running process, and the safety of both commands:
/// a detached process goes on untouched, a launched one never outlives Phoebe.
/// </summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static RunningProcess StartSleeper(string path) =>
        RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("sleeper"), ["-i", "50", path]));

    private static string Status(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim();

    private static int LastTick(RunningProcess p) =>
        p.StdoutSoFar.Split('\n').Where(l => l.StartsWith("tick ", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ')[1])).DefaultIfEmpty(0).Max();

    [SkippableFact]
    public void Attach_injects_then_detaches_and_the_process_goes_on()
    {
        using var target = StartSleeper("/etc/hostname");
        target.WaitForStdoutLine(l => l.StartsWith("tick 3 ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var attach = PhoebeCli.Run(["attach", "--pid", target.Id.ToString(), "--duration", "1s",
            "-e", "RULE deny ON getpid DO return EPERM", "-e", "RULE slow ON openat EXIT IF retval >= 0 DO return EACCES"]);
        Assert.True(attach.ExitCode == 0, attach.ToString());
        Assert.Contains("detached from", attach.Stderr);
        Assert.Matches(@"deny\s+getpid\s+ENTRY\s+\d+\s+\d+\s+[1-9]\d*", attach.Stderr);

        // After detaching: no tracer, and the next ticks succeed again.
        Assert.Equal("0", Status(target.Id, "TracerPid:"));
        int after = LastTick(target) + 2;
        target.WaitForStdoutLine(l => l.StartsWith($"tick {after} openat", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var lines = target.StdoutSoFar.Split('\n');
        Assert.Contains(lines, l => l.EndsWith("getpid -> -1 EPERM", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("openat /etc/hostname -> -1 EACCES", StringComparison.Ordinal));
        Assert.Contains($"tick {after} getpid -> ok", lines);
        // Never a syscall left skipped without its result (ENOSYS) by the detach.
        Assert.DoesNotContain(lines, l => l.Contains("ENOSYS", StringComparison.Ordinal));
        Assert.False(target.HasExited);
    }

    [SkippableFact]
    public void Sigterm_detaches_an_attached_session()
    {
        using var target = StartSleeper("/etc/hostname");
        target.WaitForStdoutLine(l => l.StartsWith("tick 2 ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        using var attach = PhoebeCli.Start(["attach", "--pid", target.Id.ToString(), "-e", "RULE r ON getpid DO return EPERM"]);
        WaitFor(() => attach.StderrSoFar.Contains("attached to", StringComparison.Ordinal), "the attach message");
        WaitFor(() => target.StdoutSoFar.Contains("-1 EPERM", StringComparison.Ordinal), "an injected getpid");
        Process.Start("kill", ["-TERM", attach.Id.ToString()]).WaitForExit();
        var result = attach.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("0", Status(target.Id, "TracerPid:"));
        int after = LastTick(target) + 2;
        target.WaitForStdoutLine(l => l == $"tick {after} getpid -> ok", TimeSpan.FromSeconds(10));
    }

    [SkippableFact]
    public void Attach_reports_a_missing_process_and_a_traced_one()
    {
        var missing = PhoebeCli.Run(["attach", "--pid", "999999", "-e", "RULE r ON getpid DO return EPERM"]);
        Assert.Equal(125, missing.ExitCode);
        Assert.Contains("no such process: 999999", missing.Stderr);

        using var run = PhoebeCli.Start(["run", "-q", "-e", "RULE r ON getpid DO return EPERM", "--", TargetBuilder.Path("sleeper"), "/etc/hostname"]);
        run.WaitForStdoutLine(l => l.StartsWith("tick 2 ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        int targetPid = ChildOf(run.Id);
        var traced = PhoebeCli.Run(["attach", "--pid", targetPid.ToString(), "-e", "RULE r ON getpid DO return EPERM"]);
        Assert.Equal(125, traced.ExitCode);
        Assert.Contains($"process {targetPid} is already traced by pid {run.Id}", traced.Stderr);
        run.Kill();
    }

    [SkippableFact]
    public void Ctrl_c_reaches_the_target_and_phoebe_reports_its_exit()
    {
        using var run = PhoebeCli.Start(["run", "-e", "RULE r ON openat DO delay 1ms", "--", TargetBuilder.Path("sleeper"), "/etc/hostname"]);
        run.WaitForStdoutLine(l => l.StartsWith("tick 2 ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        int targetPid = ChildOf(run.Id);
        Process.Start("kill", ["-INT", run.Id.ToString()]).WaitForExit();
        var result = run.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.Equal(130, result.ExitCode); // the target died of SIGINT
        Assert.Contains("target exited with 130", result.Stderr);
        Assert.False(Directory.Exists($"/proc/{targetPid}"), "the target is still there");
    }

    [SkippableFact]
    public void A_launched_target_dies_with_phoebe_even_when_phoebe_is_killed()
    {
        using var run = PhoebeCli.Start(["run", "-q", "-e", "RULE r ON getpid DO return EPERM", "--", TargetBuilder.Path("sleeper"), "/etc/hostname"]);
        run.WaitForStdoutLine(l => l.StartsWith("tick 2 ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        int targetPid = ChildOf(run.Id);
        Process.Start("kill", ["-KILL", run.Id.ToString()]).WaitForExit();
        WaitFor(() => !Directory.Exists($"/proc/{targetPid}") || Status(targetPid, "State:").StartsWith('Z'), "the target to die");
    }

    private static int ChildOf(int parent)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(fields[1]) == parent && !stat.Contains("(sleep)", StringComparison.Ordinal)) return pid;
                }
                catch (IOException)
                {
                }
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"no child of {parent} appeared");
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(15)) throw new TimeoutException($"waited 15 s for {what}");
            Thread.Sleep(20);
        }
    }
}
