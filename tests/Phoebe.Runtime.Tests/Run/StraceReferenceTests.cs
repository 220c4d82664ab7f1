namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// What strace's <c>-e inject</c> does to the C targets: the reference that
/// <see cref="RunInjectionTests"/> is compared with, pinned down here so that a
/// change of strace (or of a target) shows as a failure of its own.
/// </summary>
/// <remarks>
/// strace counts <c>when=N</c> per thread: every thread and process starts from
/// zero, and a process keeps its count across execve. Phoebe's <c>call</c> is
/// counted over the whole traced tree instead, so the two differ on programs with
/// several threads or processes, and the differential cases avoid those.
/// </remarks>
public sealed class StraceReferenceTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private ProcessResult Strace(string syscall, string errno, int when, string target, params string[] args) =>
        RunningProcess.Run(new ProcessSpec(HostTools.Strace,
            ["-f", "-qq", "-o", "/dev/null", "-e", $"trace={syscall}", "-e", $"inject={syscall}:error={errno}:when={when}", TargetBuilder.Path(target), .. args],
            dir.Path), TimeSpan.FromSeconds(30));

    [SkippableFact]
    public void Second_openat_fails()
    {
        var r = Strace("openat", "EACCES", 2, "opens", "a.txt", "b.txt", "c.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat b.txt -> -1 EACCES", "openat c.txt -> 3", "close 3 -> 0"], r.StdoutLines);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stderr);
    }

    [SkippableFact]
    public void Entry_injected_write_does_not_happen()
    {
        var r = Strace("write", "ENOSPC", 2, "rw", "out.bin", "3", "4");
        Assert.Contains("write 3 #2 -> -1 ENOSPC", r.StdoutLines);
        Assert.Equal("total write 8 read 8", r.StdoutLines[^1]);
        Assert.Equal("aaaacccc", File.ReadAllText(dir.File("out.bin")));
    }

    [SkippableFact]
    public void When_counts_per_thread()
    {
        // 4 threads x 3 opens, when=3: each thread's third open fails, not the tree's third.
        var r = Strace("openat", "EACCES", 3, "threads", "4", "3", "a.txt");
        Assert.Equal(
            ["thread 0 openat a.txt #3 -> -1 EACCES", "thread 1 openat a.txt #3 -> -1 EACCES",
             "thread 2 openat a.txt #3 -> -1 EACCES", "thread 3 openat a.txt #3 -> -1 EACCES"],
            r.StdoutLines.Where(l => l.Contains("EACCES", StringComparison.Ordinal)));
        Assert.Equal("failures 4", r.StdoutLines[^1]);
    }

    [SkippableFact]
    public void When_counts_per_process()
    {
        // The child's count starts from zero: when=1 fails the child's first open and the parent's.
        var r = Strace("openat", "EACCES", 1, "forker", "a.txt");
        Assert.Equal(["child openat a.txt -> -1 EACCES", "parent waitpid -> exited 13", "parent openat a.txt -> -1 EACCES"], r.StdoutLines);
    }

    [SkippableFact]
    public void When_count_goes_on_across_exec()
    {
        var r = Strace("openat", "EACCES", 2, "exec", "-o", "a.txt", TargetBuilder.Path("opens"), "b.txt", "c.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat b.txt -> -1 EACCES", "openat c.txt -> 3", "close 3 -> 0"], r.StdoutLines);
    }

    [SkippableFact]
    public void Getpid_fails_through_syscall()
    {
        var r = Strace("getpid", "EPERM", 2, "sleeper", "-n", "3", "-i", "10", "a.txt");
        Assert.Equal(
            ["tick 1 getpid -> ok", "tick 1 openat a.txt -> 3", "tick 2 getpid -> -1 EPERM", "tick 2 openat a.txt -> 3",
             "tick 3 getpid -> ok", "tick 3 openat a.txt -> 3"],
            r.StdoutLines);
        Assert.Equal(1, r.ExitCode);
    }
}
