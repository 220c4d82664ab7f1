namespace Phoebe.Runtime.Tests.Run;

/// <summary>The C targets of tests/targets, run natively: they build, and print exactly what their calls returned.</summary>
public sealed class TargetTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private ProcessResult Run(string target, params string[] args) =>
        RunningProcess.Run(new ProcessSpec(TargetBuilder.Path(target), args, dir.Path), TimeSpan.FromSeconds(30));

    [SkippableFact]
    public void Opens_prints_each_open_and_close()
    {
        var r = Run("opens", "a.txt", "missing.txt", "c.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat missing.txt -> -1 ENOENT", "openat c.txt -> 3", "close 3 -> 0"], r.StdoutLines);
        Assert.Equal("", r.Stderr);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(0, Run("opens", "a.txt").ExitCode);
    }

    [SkippableFact]
    public void Rw_writes_chunks_then_reads_them_back()
    {
        var r = Run("rw", "out.bin", "3", "4");
        Assert.Equal(
            ["openat out.bin -> 3", "write 3 #1 -> 4", "write 3 #2 -> 4", "write 3 #3 -> 4", "close 3 -> 0",
             "openat out.bin -> 3", "read 3 #1 -> 4", "read 3 #2 -> 4", "read 3 #3 -> 4", "read 3 #4 -> 0", "close 3 -> 0",
             "total write 12 read 12"],
            r.StdoutLines);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("aaaabbbbcccc", File.ReadAllText(dir.File("out.bin")));
    }

    [SkippableFact]
    public void Threads_print_per_thread_in_thread_order()
    {
        var r = Run("threads", "3", "2", "a.txt");
        Assert.Equal(
            ["thread 0 openat a.txt #1 -> ok", "thread 0 openat a.txt #2 -> ok",
             "thread 1 openat a.txt #1 -> ok", "thread 1 openat a.txt #2 -> ok",
             "thread 2 openat a.txt #1 -> ok", "thread 2 openat a.txt #2 -> ok",
             "failures 0"],
            r.StdoutLines);
        Assert.Equal(0, r.ExitCode);
    }

    [SkippableFact]
    public void Forker_reports_child_then_parent()
    {
        var r = Run("forker", "a.txt");
        Assert.Equal(["child openat a.txt -> 3", "parent waitpid -> exited 0", "parent openat a.txt -> 3"], r.StdoutLines);
        Assert.Equal(0, r.ExitCode);

        var missing = Run("forker", "missing.txt");
        Assert.Equal(["child openat missing.txt -> -1 ENOENT", "parent waitpid -> exited 2", "parent openat missing.txt -> -1 ENOENT"], missing.StdoutLines);
        Assert.Equal(1, missing.ExitCode);
    }

    [SkippableFact]
    public void Sleeper_ticks_until_n()
    {
        var r = Run("sleeper", "-n", "2", "-i", "10", "a.txt");
        Assert.Equal(["tick 1 getpid -> ok", "tick 1 openat a.txt -> 3", "tick 2 getpid -> ok", "tick 2 openat a.txt -> 3"], r.StdoutLines);
        Assert.Equal(0, r.ExitCode);
    }

    [SkippableFact]
    public void Sleeper_prints_each_tick_as_it_happens()
    {
        using var sleeper = RunningProcess.Start(new ProcessSpec(TargetBuilder.Path("sleeper"), ["-i", "50", "a.txt"], dir.Path));
        sleeper.WaitForStdoutLine(line => line == "tick 3 openat a.txt -> 3", TimeSpan.FromSeconds(10));
        Assert.False(sleeper.HasExited);
        sleeper.Kill();
    }

    [SkippableFact]
    public void Exec_opens_then_becomes_the_program()
    {
        var r = Run("exec", "-o", "a.txt", TargetBuilder.Path("opens"), "b.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat b.txt -> 3", "close 3 -> 0"], r.StdoutLines);
        Assert.Equal(0, r.ExitCode);

        var failed = Run("exec", "./nope");
        Assert.Equal(["execve ./nope -> -1 ENOENT"], failed.StdoutLines);
        Assert.Equal(127, failed.ExitCode);
    }

    [SkippableFact]
    public void Targets_are_static_so_every_counted_call_is_the_targets_own()
    {
        // No dynamic loader: under strace, the first openat of `opens` is the one its source makes.
        var trace = RunningProcess.Run(new ProcessSpec(HostTools.Strace, ["-e", "trace=openat,read,mmap", TargetBuilder.Path("opens"), "a.txt"], dir.Path));
        var calls = trace.Stderr.Split('\n').Where(l => l.StartsWith("openat(", StringComparison.Ordinal) || l.StartsWith("read(", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["openat(AT_FDCWD, \"a.txt\", O_RDONLY|O_CLOEXEC) = 3"], calls);
    }
}
