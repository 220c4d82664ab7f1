using System.Runtime.InteropServices;
using Phoebe.Lang.Catalog;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>
/// The eBPF monitor on real processes: tests/targets/errloop makes exact
/// numbers of failing and succeeding calls, and the monitor's counters must
/// match them exactly.
/// </summary>
public sealed class SyscallMonitorTests
{
    private const int SIGUSR1 = 10;
    private const int ENOENT = 2, EBADF = 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static int Nr(string name)
    {
        var info = SyscallTable.Lookup(name) ?? throw new ArgumentException(name);
        var arch = RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? Phoebe.Lang.Catalog.Architecture.Aarch64 : Phoebe.Lang.Catalog.Architecture.X86_64;
        int? nr = info.NumberFor(arch);
        return nr ?? throw new ArgumentException($"{name} has no number on {RuntimeInformation.ProcessArchitecture}");
    }

    /// <summary>Starts errloop and waits until it is blocked waiting for SIGUSR1.</summary>
    private static RunningProcess StartErrloop(params string[] args)
    {
        var target = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("errloop"), args));
        target.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout);
        return target;
    }

    private static ProcessResult Release(RunningProcess target)
    {
        Assert.Equal(0, LibC.Kill(target.Id, SIGUSR1));
        return target.WaitForExit(Timeout);
    }

    private static void AssertCount(SyscallCounts counts, string syscall, int errno, long expected)
    {
        var c = counts.Find(Nr(syscall), errno);
        Assert.True(c != null, $"no counter for ({syscall}, {errno}); have: {string.Join(", ", counts.Counters.Select(x => $"({x.Syscall}, {x.Errno})={x.Count}"))}");
        Assert.Equal(expected, c.Count);
        Assert.Equal(c.Count, c.Histogram.Sum());
        Assert.Equal(SyscallMonitor.HistogramBuckets, c.Histogram.Count);
        Assert.True(c.LatencySumNs > 0);
    }

    [SkippableFact]
    public void Counts_exact_successes_and_errnos_of_the_target_only()
    {
        const int N = 1234, M = 567, K = 89;
        using var target = StartErrloop(N.ToString(), M.ToString(), K.ToString());
        // Not monitored: its identical calls must not show up in the counts.
        using var bystander = StartErrloop(N.ToString(), M.ToString(), K.ToString());
        SyscallCounts counts;
        using (var monitor = Ebpf.StartOrSkip(target.Id))
        {
            var bystanderResult = Release(bystander);
            Assert.Equal(0, bystanderResult.ExitCode);
            var result = Release(target);
            Assert.Equal(["ready " + target.Id, $"enoent {N}", $"opened {M}", $"ebadf {K}"], result.StdoutLines);
            Assert.Equal(0, result.ExitCode);

            counts = monitor.Collect();
            Assert.Equal(0, counts.Uncounted);
            Assert.Equal(0, counts.Unfollowed);

            // Collect resets: nothing more happened since.
            Assert.Empty(monitor.Collect().Counters);
        }
        AssertCount(counts, "openat", ENOENT, N);
        AssertCount(counts, "openat", 0, M);
        AssertCount(counts, "close", 0, M);
        AssertCount(counts, "close", EBADF, K);
        // A call that was running when the monitor started is not counted:
        // errloop was blocked in its only rt_sigtimedwait (sigwait).
        Assert.Null(counts.Find(Nr("rt_sigtimedwait"), 0));
    }

    [SkippableFact]
    public void Follows_children_forked_after_it_started()
    {
        const int N = 300, M = 200, K = 100;
        using var target = StartErrloop("-f", N.ToString(), M.ToString(), K.ToString());
        using var monitor = Ebpf.StartOrSkip(target.Id);
        var result = Release(target);
        Assert.Equal(["ready " + target.Id, $"enoent {N}", $"opened {M}", $"ebadf {K}"], result.StdoutLines);
        Assert.Equal(0, result.ExitCode);

        var counts = monitor.Collect();
        AssertCount(counts, "openat", ENOENT, N);
        AssertCount(counts, "openat", 0, M);
        AssertCount(counts, "close", EBADF, K);
        // The parent's wait for its child (wait4) is counted too: one process tree.
        Assert.Equal(1, counts.Find(Nr("wait4"), 0)?.Count);
        // The fork is counted once, in the parent: the child's return from it is not a call.
        long forks = counts.Counters.Where(c => c.Syscall == Nr("clone") || c.Syscall == Nr("clone3")).Sum(c => c.Count);
        Assert.Equal(1, forks);
    }

    [SkippableFact]
    public void Starting_on_a_missing_process_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => SyscallMonitor.Start(int.MaxValue));
    }
}
