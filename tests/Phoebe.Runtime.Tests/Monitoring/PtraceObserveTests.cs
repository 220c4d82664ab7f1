using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Tests.Run;
using PhoebeProcess = Phoebe.Runtime.Tests.Run.PhoebeCli;
using static Phoebe.Runtime.Tests.Monitoring.ObserveProcesses;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>
/// <c>phoebe observe --backend ptrace</c> as a separate process on tests/targets/errloop: exact counts for a
/// launched command, a pid (detached afterwards, still running) and a name; the same counts as the eBPF
/// backend; the usage and the hint when eBPF is unavailable.
/// </summary>
public sealed class PtraceObserveTests : IDisposable
{
    private const int SIGINT = 2, SIGUSR1 = 10, SIGTERM = 15;
    private const int ClockNanosleep = 230; // x86_64, like the tracer
    private static readonly TimeSpan Timeout = ObserveProcesses.Timeout;

    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>The syscall <paramref name="pid"/> is in (/proc/PID/syscall), or null.</summary>
    private static int? BlockedIn(int pid)
    {
        try
        {
            return int.TryParse(File.ReadAllText($"/proc/{pid}/syscall").Split(' ')[0], out int nr) ? nr : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static Profile ReadProfile(string path)
    {
        Assert.True(File.Exists(path), $"no profile at {path}");
        var read = ProfileReader.ReadFile(path);
        Assert.False(read.HasErrors, string.Join("\n", read.Diagnostics) + "\n" + File.ReadAllText(path));
        return read.Profile!;
    }

    private static long Calls(Profile profile, string syscall) => profile.Syscalls.SingleOrDefault(s => s.Name == syscall)?.Calls ?? 0;

    private static long Errors(Profile profile, string syscall, string errno) =>
        profile.Errors.SingleOrDefault(e => e.Syscall == syscall && e.Errno == errno)?.Count ?? 0;

    /// <summary>
    /// <c>phoebe observe [--backend BACKEND] -o FILE -- errloop ARGS</c>, released once observed; returns Phoebe's
    /// result (its exit code is the command's) and the profile.
    /// </summary>
    private (ProcessResult Result, Profile Profile) ObserveErrloop(string backend, params string[] errloopArgs)
    {
        string profilePath = dir.File($"{backend}-{Guid.NewGuid():N}.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--backend", backend, "--interval", "200ms", "-o", profilePath, "--",
            TargetBuilder.Path("errloop"), .. errloopArgs]);
        int pid = ReadyPid(phoebe);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the monitor");
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        return (result, ReadProfile(profilePath));
    }

    [SkippableFact]
    public void Ptrace_counts_a_command_exactly_and_warns_about_its_cost()
    {
        const int N = 1200, M = 250, K = 66;
        var (result, profile) = ObserveErrloop("ptrace", N.ToString(), M.ToString(), K.ToString());
        Assert.Equal([$"enoent {N}", $"opened {M}", $"ebadf {K}"], result.StdoutLines.Skip(1));
        var warning = Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("phoebe: warning: --backend ptrace", StringComparison.Ordinal));
        Assert.Contains("stops the target at every syscall", warning);

        Assert.Equal("errloop", profile.Target);
        Assert.Equal(TimeSpan.FromMilliseconds(200), profile.Interval);
        // Traced from its execve on: every call of the static target is counted, none missed at its start.
        Assert.Equal(N, Errors(profile, "openat", "ENOENT"));
        Assert.Equal(K, Errors(profile, "close", "EBADF"));
        Assert.Equal(N + M, Calls(profile, "openat"));
        Assert.Equal(M + K, Calls(profile, "close"));
        Assert.Equal(1, Calls(profile, "rt_sigtimedwait"));
        // Nothing of the launcher: not its execve of the command, not its dynamic loader.
        Assert.Equal(0, Calls(profile, "execve"));
        Assert.Equal(0, Calls(profile, "mmap"));
        var enoent = Assert.Single(profile.Errors, e => e.Syscall == "openat" && e.Errno == "ENOENT");
        Assert.Equal(RateStatistics.Summarize(enoent.Series!), enoent.Rate);
        Assert.Contains(enoent.Series!, r => r > 0);
    }

    [SkippableFact]
    public void Both_backends_count_the_same_calls_of_the_command()
    {
        Ebpf.Require();
        const int N = 900, M = 150, K = 40;
        string[] args = [N.ToString(), M.ToString(), K.ToString()];
        var (ebpfResult, byEbpf) = ObserveErrloop("ebpf", args);
        var (ptraceResult, byPtrace) = ObserveErrloop("ptrace", args);
        Assert.DoesNotContain("warning: --backend ptrace", ebpfResult.Stderr);
        Assert.Contains("warning: --backend ptrace", ptraceResult.Stderr);

        // The calls the command makes once released: the eBPF monitor may miss the first calls after the
        // exec (it adds the command after posix_spawn returns), never these.
        (long, long, long, long) Own(Profile p) => (Calls(p, "openat"), Errors(p, "openat", "ENOENT"), Calls(p, "close"), Errors(p, "close", "EBADF"));
        Assert.Equal(Own(byEbpf), Own(byPtrace));
        Assert.Equal((N + M, N, M + K, K), Own(byPtrace));
    }

    [SkippableFact]
    public void Ptrace_follows_the_children_a_command_forks()
    {
        const int N = 400, M = 100, K = 30;
        var (result, profile) = ObserveErrloop("ptrace", "-f", N.ToString(), M.ToString(), K.ToString());
        Assert.Equal([$"enoent {N}", $"opened {M}", $"ebadf {K}"], result.StdoutLines.Skip(1));
        Assert.Equal(N, Errors(profile, "openat", "ENOENT"));
        Assert.Equal(K, Errors(profile, "close", "EBADF"));
        Assert.Equal(N + M, Calls(profile, "openat"));
        // The parent's wait is counted, and the fork once: the child's return from it is not a call.
        Assert.Equal(1, Calls(profile, "wait4"));
        Assert.Equal(1, Calls(profile, "clone") + Calls(profile, "clone3"));
    }

    [SkippableFact]
    public void Ptrace_observes_a_pid_then_detaches_and_the_process_runs_on_untraced()
    {
        const int N = 500, M = 60, K = 25;
        using var target = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("errloop"), ["-s", "4000", N.ToString(), M.ToString(), K.ToString()]));
        int pid = ReadyPid(target);
        string profilePath = dir.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--backend", "ptrace", "--pid", pid.ToString(), "--interval", "10s", "-o", profilePath]);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the tracer");
        Assert.NotEqual("0", Status(pid, "TracerPid:"));
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        // Its calls are over once it sleeps (-s): stop observing in the middle of that sleep.
        WaitFor(() => BlockedIn(pid) == ClockNanosleep, phoebe, "errloop to sleep after its calls");

        Assert.Equal(0, LibC.Kill(phoebe.Id, SIGINT));
        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("interrupted", result.Stderr);
        // Detached: no tracer, not stopped, still in its sleep; then it finishes as if never traced.
        Assert.Equal("0", Status(pid, "TracerPid:"));
        Assert.DoesNotContain(Status(pid, "State:")![0], "tTZ");
        Assert.False(target.HasExited);
        var done = target.WaitForExit(Timeout);
        Assert.True(done.ExitCode == 0, done.ToString());
        Assert.Equal(["ready " + pid, $"enoent {N}", $"opened {M}", $"ebadf {K}"], done.StdoutLines);

        var profile = ReadProfile(profilePath);
        Assert.Equal("errloop", profile.Target);
        Assert.Equal(N, Errors(profile, "openat", "ENOENT"));
        Assert.Equal(K, Errors(profile, "close", "EBADF"));
        Assert.Equal(N + M, Calls(profile, "openat"));
        Assert.Equal(M + K, Calls(profile, "close"));
    }

    [SkippableFact]
    public void Ptrace_comm_observes_every_process_of_that_name_and_ends_when_they_exit()
    {
        const int N = 300, M = 30, K = 20;
        string name = "phb" + Guid.NewGuid().ToString("N")[..10];
        string copy = dir.File(name);
        File.Copy(TargetBuilder.Path("errloop"), copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var first = RunningProcess.Start(new ProcessSpec(copy, [N.ToString(), M.ToString(), K.ToString()]));
        using var second = RunningProcess.Start(new ProcessSpec(copy, [N.ToString(), M.ToString(), K.ToString()]));
        using var other = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("errloop"), [N.ToString(), M.ToString(), K.ToString()]));
        int[] pids = [ReadyPid(first), ReadyPid(second)];
        int otherPid = ReadyPid(other);

        string profilePath = dir.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--backend", "ptrace", "--comm", name, "--interval", "200ms", "-o", profilePath]);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the tracer");
        Assert.All(pids, p => Assert.NotEqual("0", Status(p, "TracerPid:")));
        Assert.Equal("0", Status(otherPid, "TracerPid:"));
        foreach (int pid in pids.Append(otherPid)) Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        foreach (var target in new[] { first, second, other })
        {
            var done = target.WaitForExit(Timeout);
            Assert.True(done.ExitCode == 0, done.ToString());
        }

        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("the observed processes exited", result.Stderr);
        var profile = ReadProfile(profilePath);
        Assert.Equal(name, profile.Target);
        Assert.Equal(2 * N, Errors(profile, "openat", "ENOENT"));
        Assert.Equal(2 * K, Errors(profile, "close", "EBADF"));
    }

    [SkippableFact]
    public void Ptrace_passes_sigterm_to_the_command_and_still_writes_the_profile()
    {
        const int N = 150, M = 10, K = 5;
        string profilePath = dir.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "-q", "--backend", "ptrace", "--interval", "10s", "-o", profilePath, "--",
            TargetBuilder.Path("errloop"), "-s", "30000", N.ToString(), M.ToString(), K.ToString()]);
        int pid = ReadyPid(phoebe);
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        WaitFor(() => BlockedIn(pid) == ClockNanosleep, phoebe, "errloop to sleep after its calls");

        Assert.Equal(0, LibC.Kill(phoebe.Id, SIGTERM));
        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 128 + SIGTERM, result.ToString());
        // -q: not the cost warning. (The sleep SIGTERM cut short ended with the kernel-internal
        // ERESTART_RESTARTBLOCK, which has no name: a warning says it was left out, as with eBPF.)
        Assert.DoesNotContain("--backend ptrace", result.Stderr);
        Assert.True(Status(pid, "State:") is null or ['Z', ..], $"the command {pid} still runs");
        var profile = ReadProfile(profilePath);
        Assert.Equal(N, Errors(profile, "openat", "ENOENT"));
        Assert.Equal(K, Errors(profile, "close", "EBADF"));
    }

    [SkippableFact]
    public void Ptrace_detaches_from_a_command_still_running_at_the_end_of_the_duration()
    {
        const int N = 100, M = 10, K = 5;
        // The command's output goes to a file: it outlives Phoebe, and must not hold Phoebe's pipes open.
        string output = dir.File("errloop.out");
        string profilePath = dir.File("profile.yaml");
        var result = PhoebeProcess.Run(["observe", "--backend", "ptrace", "--duration", "300ms", "--interval", "100ms", "-o", profilePath, "--",
            "/bin/sh", "-c", $"exec {TargetBuilder.Path("errloop")} {N} {M} {K} > {output} 2>&1"], timeout: Timeout);
        // As with eBPF: 130, and the command goes on, no longer observed.
        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("is still running; no longer observed", result.Stderr);
        int pid = int.Parse(File.ReadLines(output).First()["ready ".Length..]);
        Assert.Equal("0", Status(pid, "TracerPid:"));
        Assert.DoesNotContain(Status(pid, "State:")![0], "tTZ");
        Assert.Equal(1, ReadProfile(profilePath).Syscalls.Single(s => s.Name == "write").Calls); // its "ready" line

        // Untraced, it still works: released, it makes its calls and exits.
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        var deadline = DateTime.UtcNow + Timeout;
        while (!File.ReadAllText(output).Contains($"ebadf {K}", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "errloop did not finish after the detach:\n" + File.ReadAllText(output));
            Thread.Sleep(10);
        }
        Assert.Equal(["ready " + pid, $"enoent {N}", $"opened {M}", $"ebadf {K}"], File.ReadAllLines(output));
    }

    [SkippableFact]
    public void Ptrace_reports_a_command_that_cannot_run_without_a_profile()
    {
        var result = PhoebeProcess.Run(["observe", "-q", "--backend", "ptrace", "--", "/nonexistent/phoebe-no-such-program"], timeout: Timeout);
        Assert.True(result.ExitCode == 127, result.ToString());
        Assert.Contains("cannot run /nonexistent/phoebe-no-such-program", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("observe --backend dtrace --pid 1")]
    [InlineData("observe --backend PTRACE -- true")]
    public void An_unknown_backend_is_a_usage_error(string args)
    {
        var result = PhoebeProcess.Run(args.Split(' '), timeout: Timeout);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("phoebe: --backend is ebpf or ptrace, not `", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Help_shows_the_backends()
    {
        var result = PhoebeProcess.Run(["observe", "--help"], timeout: Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("--backend <ebpf|ptrace>", result.Stdout);
        Assert.Contains("[default: ebpf]", result.Stdout);
    }

    [SkippableFact]
    public void Without_privileges_ebpf_fails_with_a_hint_and_ptrace_observes_the_command()
    {
        string? setpriv = HostTools.Find("setpriv");
        Skip.If(setpriv is null, "setpriv (util-linux) is not installed: cannot drop privileges");
        Skip.If(Environment.UserName != "root", "the tests do not run as root: cannot switch to nobody");
        // As nobody (65534), Phoebe's own files must be readable.
        string[] asNobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp"];
        var probe = RunningProcess.Run(new ProcessSpec(asNobody[0], [.. asNobody[1..], "test", "-r", PhoebeProcess.Dll]), Timeout);
        Skip.If(probe.ExitCode != 0, $"nobody cannot read {PhoebeProcess.Dll}");

        string[] command = ["--", "/bin/sh", "-c", "cat /nonexistent/phoebe-nobody 2>/dev/null; exit 3"];
        var ebpf = RunningProcess.Run(new ProcessSpec(asNobody[0], [.. asNobody[1..], PhoebeProcess.DotnetHost, PhoebeProcess.Dll, "observe", "-q", .. command]), Timeout);
        Assert.True(ebpf.ExitCode == 125, ebpf.ToString());
        Assert.StartsWith("phoebe: cannot observe: ", ebpf.Stderr, StringComparison.Ordinal);
        Assert.Contains("\nhint: use --backend ptrace to observe with ptrace instead (slower)\n", ebpf.Stderr);
        Assert.Contains("\nhint: `phoebe doctor` tells what this machine can do and how to fix what is missing\n", ebpf.Stderr);

        // A process may trace its own children without privileges: ptrace observes the same command.
        var ptrace = RunningProcess.Run(new ProcessSpec(asNobody[0], [.. asNobody[1..], PhoebeProcess.DotnetHost, PhoebeProcess.Dll, "observe", "-q", "--backend", "ptrace", .. command]), Timeout);
        Assert.True(ptrace.ExitCode == 3, ptrace.ToString());
        var read = ProfileReader.Read(new Phoebe.Lang.Syntax.SourceText("stdout", ptrace.Stdout));
        Assert.False(read.HasErrors, ptrace.Stdout);
        Assert.Equal("sh", read.Profile!.Target);
        Assert.True(Errors(read.Profile, "openat", "ENOENT") >= 1, ptrace.Stdout);
        Assert.True(Calls(read.Profile, "execve") >= 1, ptrace.Stdout); // sh runs cat
    }
}
