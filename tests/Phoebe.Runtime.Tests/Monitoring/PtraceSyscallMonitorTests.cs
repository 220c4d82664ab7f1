using System.Runtime.InteropServices;
using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>
/// The ptrace-based monitor on real processes: tests/targets/errloop and threads make exact numbers of
/// failing and succeeding calls, and the counts must match them exactly, and match the eBPF monitor's.
/// The tracer runs in this process, so these tests run alone.
/// </summary>
[Collection(nameof(InProcessTracer))]
public sealed class PtraceSyscallMonitorTests
{
    private const int SIGUSR1 = 10;
    private const int ENOENT = 2, EBADF = 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static int Nr(string name)
    {
        var info = SyscallTable.Lookup(name) ?? throw new ArgumentException(name);
        var arch = RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? Phoebe.Lang.Catalog.Architecture.Aarch64 : Phoebe.Lang.Catalog.Architecture.X86_64;
        return info.NumberFor(arch) ?? throw new ArgumentException($"{name} has no number on {RuntimeInformation.ProcessArchitecture}");
    }

    private static string Describe(SyscallCounts counts) =>
        string.Join(", ", counts.Counters.Select(c => $"({Phoebe.Runtime.Monitoring.Observation.SyscallName(c.Syscall) ?? c.Syscall.ToString()}, {c.Errno})={c.Count}"));

    private static void AssertCount(SyscallCounts counts, string syscall, int errno, long expected)
    {
        var c = counts.Find(Nr(syscall), errno);
        Assert.True(c != null, $"no counter for ({syscall}, {errno}); have: {Describe(counts)}");
        Assert.Equal(expected, c.Count);
        Assert.Equal(SyscallMonitor.HistogramBuckets, c.Histogram.Count);
        Assert.Equal(c.Count, c.Histogram.Sum());
        // A traced call takes at least a stop: never 0 ns, and its bucket is floor(log2(latency)).
        Assert.True(c.LatencySumNs > 0);
        Assert.Equal(0, c.Histogram[0]);
    }

    /// <summary>/proc/PID/status field <paramref name="field"/> (e.g. "TracerPid:").</summary>
    private static string Status(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim();

    /// <summary>The number of the syscall <paramref name="pid"/> is blocked in (/proc/PID/syscall), or null.</summary>
    private static int? BlockedIn(int pid)
    {
        try
        {
            string text = File.ReadAllText($"/proc/{pid}/syscall");
            return int.TryParse(text.Split(' ')[0], out int nr) ? nr : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts <paramref name="program"/> as a grandchild (a shell starts it and waits for it, then exits with
    /// its status), and returns the shell and the program's pid. A tracer must not attach to a child of
    /// System.Diagnostics.Process: its wait for the child would take the tracee's ptrace stops.
    /// </summary>
    private static (RunningProcess Shell, int Pid) StartGrandchild(string program, params string[] args)
    {
        var shell = RunningProcess.Start(new ProcessSpec("/bin/sh", ["-c", "\"$@\" & echo \"pid $!\"; wait $!", "sh", program, .. args]));
        string line = shell.WaitForStdoutLine(l => l.StartsWith("pid ", StringComparison.Ordinal), Timeout);
        return (shell, int.Parse(line["pid ".Length..]));
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            Thread.Sleep(5);
        }
    }

    [SkippableFact]
    public void Counts_a_launched_command_exactly_and_collect_resets()
    {
        const int N = 700, M = 300, K = 90;
        using var monitor = PtraceSyscallMonitor.Launch(new LaunchSpec(TargetBuilder.Path("errloop"), [N.ToString(), M.ToString(), K.ToString()]));
        int pid = monitor.RootPid;
        // errloop blocks SIGUSR1 and waits for it in rt_sigtimedwait: release it once it is there.
        WaitUntil(() => BlockedIn(pid) == Nr("rt_sigtimedwait"), "errloop to wait for SIGUSR1");
        var before = monitor.Collect();
        Assert.Null(before.Find(Nr("openat"), 0));
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        WaitUntil(() => monitor.HasEnded, "errloop to exit");
        Assert.Equal(0, monitor.ExitCode);
        Assert.True(monitor.CommandStarted);

        var counts = monitor.Collect();
        Assert.Equal(0, counts.Uncounted);
        Assert.Equal(0, counts.Unfollowed);
        // Counted from the command's execve on: a static target makes no openat or close of its own before main.
        AssertCount(counts, "openat", ENOENT, N);
        AssertCount(counts, "openat", 0, M);
        AssertCount(counts, "close", 0, M);
        AssertCount(counts, "close", EBADF, K);
        AssertCount(counts, "rt_sigtimedwait", 0, 1);
        // The launcher's calls are not the command's: not its execve, nor its dynamic loader's mmap and access.
        Assert.Null(before.Find(Nr("execve"), 0));
        Assert.Null(before.Find(Nr("access"), ENOENT));
        Assert.Null(before.Find(Nr("mmap"), 0));
        // Collect resets: nothing happened since.
        Assert.Empty(monitor.Collect().Counters);
    }

    [SkippableFact]
    public void Follows_threads_and_forked_children()
    {
        const int Threads = 4, Opens = 60;
        using (var monitor = PtraceSyscallMonitor.Launch(new LaunchSpec(TargetBuilder.Path("threads"), [Threads.ToString(), Opens.ToString(), "/etc/hostname"])))
        {
            WaitUntil(() => monitor.HasEnded, "threads to exit");
            Assert.Equal(0, monitor.ExitCode);
            var counts = monitor.Collect();
            AssertCount(counts, "openat", 0, Threads * Opens);
            AssertCount(counts, "close", 0, Threads * Opens);
        }

        const int N = 200, M = 100, K = 50;
        using (var monitor = PtraceSyscallMonitor.Launch(new LaunchSpec(TargetBuilder.Path("errloop"), ["-f", N.ToString(), M.ToString(), K.ToString()])))
        {
            WaitUntil(() => BlockedIn(monitor.RootPid) == Nr("rt_sigtimedwait"), "errloop to wait for SIGUSR1");
            Assert.Equal(0, LibC.Kill(monitor.RootPid, SIGUSR1));
            WaitUntil(() => monitor.HasEnded, "errloop to exit");
            Assert.Equal(0, monitor.ExitCode);
            var counts = monitor.Collect();
            AssertCount(counts, "openat", ENOENT, N);
            AssertCount(counts, "close", EBADF, K);
            // The parent's wait for its child is counted: one process tree.
            AssertCount(counts, "wait4", 0, 1);
            // The fork is counted once, in the parent: the child's return from it is not a call.
            long forks = counts.Counters.Where(c => c.Syscall == Nr("clone") || c.Syscall == Nr("clone3")).Sum(c => c.Count);
            Assert.Equal(1, forks);
        }
    }

    [SkippableFact]
    public void Attaching_then_detaching_leaves_the_process_running_untraced()
    {
        const int N = 300, M = 40, K = 20;
        var (target, pid) = StartGrandchild(TargetBuilder.Path("errloop"), "-s", "1500", N.ToString(), M.ToString(), K.ToString());
        using var shell = target;
        WaitUntil(() => BlockedIn(pid) == Nr("rt_sigtimedwait"), "errloop to wait for SIGUSR1");
        SyscallCounts counts;
        using (var monitor = PtraceSyscallMonitor.Attach([pid]))
        {
            Assert.NotEqual("0", Status(pid, "TracerPid:"));
            Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
            // Its calls are done once it sleeps (-s): detach in the middle of that sleep.
            WaitUntil(() => BlockedIn(pid) == Nr("clock_nanosleep"), "errloop to sleep after its calls");
            counts = monitor.Collect();
        }
        // Detached while this process (the tracer's) lives on: no tracer, not stopped, still sleeping.
        Assert.Equal("0", Status(pid, "TracerPid:"));
        Assert.DoesNotContain(Status(pid, "State:")[0], "tT");
        Assert.False(target.HasExited);
        var result = target.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ready " + pid, $"enoent {N}", $"opened {M}", $"ebadf {K}"], result.StdoutLines.Where(l => !l.StartsWith("pid ", StringComparison.Ordinal)));

        AssertCount(counts, "openat", ENOENT, N);
        AssertCount(counts, "openat", 0, M);
        AssertCount(counts, "close", 0, M);
        AssertCount(counts, "close", EBADF, K);
    }

    [SkippableFact]
    public void A_call_running_when_the_tracer_attaches_is_not_counted_even_when_restarted()
    {
        // sleep's clock_nanosleep is interrupted by the attach and restarted (restart_syscall) after it:
        // that call began before the tracer came. What sleep does after it is counted.
        var (shell, pid) = StartGrandchild("sleep", "1.5");
        using var sleeper = shell;
        WaitUntil(() => BlockedIn(pid) == Nr("clock_nanosleep"), "sleep to sleep");
        using var monitor = PtraceSyscallMonitor.Attach([pid]);
        WaitUntil(() => monitor.HasEnded, "sleep to exit");
        var counts = monitor.Collect();
        Assert.Null(counts.Find(Nr("clock_nanosleep"), 0));
        Assert.Null(counts.Find(Nr("restart_syscall"), 0));
        Assert.DoesNotContain(counts.Counters, c => c.Errno is >= 512 and <= 516); // no kernel-internal restart result either
        Assert.True(counts.Counters.Count > 0, "nothing counted after the sleep");
        Assert.Equal(0, sleeper.WaitForExit(Timeout).ExitCode);
    }

    [SkippableFact]
    public void Counts_the_same_calls_as_the_ebpf_monitor_on_the_same_process()
    {
        const int N = 500, M = 120, K = 60;
        var (shell, pid) = StartGrandchild(TargetBuilder.Path("errloop"), "-f", N.ToString(), M.ToString(), K.ToString());
        using var target = shell;
        WaitUntil(() => BlockedIn(pid) == Nr("rt_sigtimedwait"), "errloop to wait for SIGUSR1");
        using var ebpf = Ebpf.StartOrSkip(pid);
        using var ptrace = PtraceSyscallMonitor.Attach([pid]);
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        var result = target.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        WaitUntil(() => ptrace.HasEnded, "the tracer to see the exit");

        // Both see every call from the release on; neither the interrupted wait, nor exit_group.
        var byEbpf = ebpf.Collect().Counters.Select(c => (Phoebe.Runtime.Monitoring.Observation.SyscallName(c.Syscall), c.Errno, c.Count)).ToList();
        var byPtrace = ptrace.Collect().Counters.Select(c => (Phoebe.Runtime.Monitoring.Observation.SyscallName(c.Syscall), c.Errno, c.Count)).ToList();
        Assert.Equal(byEbpf, byPtrace);
        Assert.Contains(("openat", ENOENT, (long)N), byPtrace);
        Assert.Contains(("close", EBADF, (long)K), byPtrace);
    }

    [SkippableFact]
    public void Attaching_to_a_missing_or_traced_process_fails_with_a_message()
    {
        var missing = Assert.Throws<InjectionException>(() => PtraceSyscallMonitor.Attach([int.MaxValue]));
        Assert.Contains($"no such process: {int.MaxValue}", missing.Message);

        var (shell, pid) = StartGrandchild("sleep", "30");
        using var sleeper = shell;
        using var first = PtraceSyscallMonitor.Attach([pid]);
        var traced = Assert.Throws<InjectionException>(() => PtraceSyscallMonitor.Attach([pid]));
        Assert.Contains($"process {pid} is already traced", traced.Message);
    }
}
