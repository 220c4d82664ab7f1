using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Tests.Run;
using PhoebeProcess = Phoebe.Runtime.Tests.Run.PhoebeCli;
using static Phoebe.Runtime.Tests.Monitoring.ObserveProcesses;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>
/// How <c>phoebe observe</c> chooses its processes and how it stops: <c>--comm</c> takes every process of
/// that name, Ctrl-C and SIGTERM still write the profile, and SIGTERM reaches a launched command.
/// </summary>
public sealed class ObserveStopTests : IDisposable
{
    private const int SIGINT = 2, SIGUSR1 = 10, SIGTERM = 15;
    private static readonly TimeSpan Timeout = ObserveProcesses.Timeout;

    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>The process's state letter from /proc/PID/status, '-' when there is no such process.</summary>
    private static char State(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal));
            return line is null ? '-' : line["State:".Length..].Trim()[0];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return '-';
        }
    }

    private static Profile ReadProfile(string path)
    {
        Assert.True(File.Exists(path), $"no profile at {path}");
        var read = ProfileReader.ReadFile(path);
        Assert.False(read.HasErrors, string.Join("\n", read.Diagnostics) + "\n" + File.ReadAllText(path));
        return read.Profile!;
    }

    [SkippableFact]
    public void Comm_observes_every_process_of_that_name_and_no_other()
    {
        Ebpf.Require();
        const int N = 400, M = 50, K = 30;
        // A name no other test's process has: errloop under a copy's unique name (comm is at most 15 characters).
        string name = "phb" + Guid.NewGuid().ToString("N")[..10];
        string copy = dir.File(name);
        File.Copy(TargetBuilder.Path("errloop"), copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var first = RunningProcess.Start(new ProcessSpec(copy, [N.ToString(), M.ToString(), K.ToString()]));
        using var second = RunningProcess.Start(new ProcessSpec(copy, [N.ToString(), M.ToString(), K.ToString()]));
        // The same program under its own name: --comm must leave it out.
        using var other = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("errloop"), [N.ToString(), M.ToString(), K.ToString()]));
        int[] pids = [ReadyPid(first), ReadyPid(second)];
        int otherPid = ReadyPid(other);

        string profilePath = dir.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--comm", name, "--interval", "200ms", "-o", profilePath]);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the monitor");
        string observing = phoebe.StderrSoFar.Split('\n').First(l => l.StartsWith("phoebe: observing ", StringComparison.Ordinal));
        var listed = observing["phoebe: observing ".Length..observing.IndexOf(" (", StringComparison.Ordinal)].Split(", ").Select(int.Parse).Order();
        Assert.Equal(pids.Order(), listed);
        foreach (int pid in pids.Append(otherPid)) Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        foreach (var target in new[] { first, second, other })
        {
            var done = target.WaitForExit(Timeout);
            Assert.True(done.ExitCode == 0, done.ToString());
        }

        // Both named processes exited: observing ends by itself.
        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("the observed processes exited", result.Stderr);
        var profile = ReadProfile(profilePath);
        Assert.Equal(name, profile.Target);
        Assert.Equal(2 * N, Assert.Single(profile.Errors, e => e.Syscall == "openat" && e.Errno == "ENOENT").Count);
        Assert.Equal(2 * K, Assert.Single(profile.Errors, e => e.Syscall == "close" && e.Errno == "EBADF").Count);
    }

    [SkippableFact]
    public void Ctrl_c_stops_observing_a_pid_writes_the_profile_and_leaves_the_process_running()
    {
        Ebpf.Require();
        const int N = 250, M = 20, K = 10;
        using var target = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("errloop"), ["-s", "30000", N.ToString(), M.ToString(), K.ToString()]));
        int pid = ReadyPid(target);
        string profilePath = dir.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--pid", pid.ToString(), "--interval", "10s", "-o", profilePath]);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the monitor");
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        target.WaitForStdoutLine(l => l.StartsWith("ebadf ", StringComparison.Ordinal), Timeout);

        // Ctrl-C long before the first 10 s interval ends: the partial interval is the profile.
        Assert.Equal(0, LibC.Kill(phoebe.Id, SIGINT));
        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("interrupted", result.Stderr);
        var profile = ReadProfile(profilePath);
        Assert.Equal(1, profile.Intervals);
        Assert.Equal(N, Assert.Single(profile.Errors, e => e.Syscall == "openat" && e.Errno == "ENOENT").Count);
        Assert.Equal(K, Assert.Single(profile.Errors, e => e.Syscall == "close" && e.Errno == "EBADF").Count);
        // Observing never touched the process: it still sleeps, and is not stopped.
        Assert.False(target.HasExited);
        Assert.Contains(State(pid), "SR");
    }

    [SkippableFact]
    public void Sigterm_reaches_the_launched_command_and_the_profile_is_still_written()
    {
        Ebpf.Require();
        const int N = 100, M = 10, K = 5;
        string profilePath = dir.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--interval", "10s", "-o", profilePath, "--",
            TargetBuilder.Path("errloop"), "-s", "30000", N.ToString(), M.ToString(), K.ToString()]);
        int pid = int.Parse(phoebe.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout)["ready ".Length..]);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the monitor");
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        phoebe.WaitForStdoutLine(l => l.StartsWith("ebadf ", StringComparison.Ordinal), Timeout);

        Assert.Equal(0, LibC.Kill(phoebe.Id, SIGTERM));
        var result = phoebe.WaitForExit(Timeout);
        // The command was killed by the SIGTERM Phoebe passed on, and observe returns its status.
        Assert.True(result.ExitCode == 128 + SIGTERM, result.ToString());
        Assert.True(State(pid) is '-' or 'Z', $"the command {pid} still runs");
        var profile = ReadProfile(profilePath);
        Assert.Equal(N, Assert.Single(profile.Errors, e => e.Syscall == "openat" && e.Errno == "ENOENT").Count);
    }
}
