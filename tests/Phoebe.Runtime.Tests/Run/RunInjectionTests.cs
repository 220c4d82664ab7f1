namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// <c>phoebe run</c> against the C targets: each test asserts the exact result
/// the target saw for each of its calls.
/// </summary>
public sealed class RunInjectionTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private ProcessResult Phoebe(string rule, string target, params string[] args) =>
        PhoebeCli.RunTarget([rule], [TargetBuilder.Path(target), .. args], workingDirectory: dir.Path);

    [SkippableFact]
    public void Entry_rule_fails_the_nth_call()
    {
        var r = Phoebe("RULE r ON openat IF call == 2 DO return EACCES", "opens", "a.txt", "b.txt", "c.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat b.txt -> -1 EACCES", "openat c.txt -> 3", "close 3 -> 0"], r.StdoutLines);
        Assert.Equal("", r.Stderr);
        Assert.Equal(1, r.ExitCode);
    }

    [SkippableFact]
    public void Entry_rule_without_condition_fails_every_call()
    {
        var r = Phoebe("RULE r ON openat DO return ENOENT", "opens", "a.txt", "b.txt");
        Assert.Equal(["openat a.txt -> -1 ENOENT", "openat b.txt -> -1 ENOENT"], r.StdoutLines);
        Assert.Equal(1, r.ExitCode);
    }

    [SkippableFact]
    public void Exit_rule_fails_only_successful_calls()
    {
        var r = Phoebe("RULE r ON openat EXIT IF retval >= 0 DO return EIO", "opens", "a.txt", "missing.txt", "c.txt");
        Assert.Equal(["openat a.txt -> -1 EIO", "openat missing.txt -> -1 ENOENT", "openat c.txt -> -1 EIO"], r.StdoutLines);
        Assert.Equal(1, r.ExitCode);
    }

    [SkippableFact]
    public void Exit_rule_testing_retval_may_replace_natural_errors()
    {
        // The opt-out: a condition on retval decides which natural results are replaced.
        var r = Phoebe("RULE r ON openat EXIT IF retval == -ENOENT DO return EACCES", "opens", "a.txt", "missing.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat missing.txt -> -1 EACCES"], r.StdoutLines);
    }

    [SkippableFact]
    public void Exit_rule_lets_the_call_run()
    {
        // The first open really happened (fd 3 stays taken, the target never learnt of it): the next open gets 4.
        var r = Phoebe("RULE r ON openat EXIT IF call == 1 && retval >= 0 DO return EIO", "opens", "a.txt", "b.txt");
        Assert.Equal(["openat a.txt -> -1 EIO", "openat b.txt -> 4", "close 4 -> 0"], r.StdoutLines);
    }

    [SkippableFact]
    public void Exit_rule_on_write_keeps_the_data_entry_rule_drops_it()
    {
        var exit = Phoebe("RULE r ON write EXIT IF call == 2 DO return EIO", "rw", "exit.bin", "3", "4");
        Assert.Contains("write 3 #2 -> -1 EIO", exit.StdoutLines);
        Assert.Equal("total write 8 read 12", exit.StdoutLines[^1]);
        Assert.Equal("aaaabbbbcccc", File.ReadAllText(dir.File("exit.bin")));

        var entry = Phoebe("RULE r ON write ENTRY IF call == 2 DO return EIO", "rw", "entry.bin", "3", "4");
        Assert.Contains("write 3 #2 -> -1 EIO", entry.StdoutLines);
        Assert.Equal("total write 8 read 8", entry.StdoutLines[^1]);
        Assert.Equal("aaaacccc", File.ReadAllText(dir.File("entry.bin")));
    }

    [SkippableFact]
    public void Calls_are_counted_across_all_threads()
    {
        // Unlike strace's when=3 (one failure per thread, see StraceReferenceTests), exactly one open of the 12 fails.
        var r = Phoebe("RULE r ON openat IF call == 3 DO return EACCES", "threads", "4", "3", "a.txt");
        Assert.Equal(12, r.StdoutLines.Count(l => l.StartsWith("thread ", StringComparison.Ordinal)));
        Assert.Single(r.StdoutLines, l => l.EndsWith("-> -1 EACCES", StringComparison.Ordinal));
        Assert.Equal(11, r.StdoutLines.Count(l => l.EndsWith("-> ok", StringComparison.Ordinal)));
        Assert.Equal("failures 1", r.StdoutLines[^1]);
        Assert.Equal(1, r.ExitCode);
    }

    [SkippableFact]
    public void Rules_apply_to_child_processes()
    {
        var child = Phoebe("RULE r ON openat IF call == 1 DO return EACCES", "forker", "a.txt");
        Assert.Equal(["child openat a.txt -> -1 EACCES", "parent waitpid -> exited 13", "parent openat a.txt -> 3"], child.StdoutLines);
        Assert.Equal(1, child.ExitCode);

        // The parent's open is the tree's second (strace would count it as the parent's first).
        var parent = Phoebe("RULE r ON openat IF call == 2 DO return EACCES", "forker", "a.txt");
        Assert.Equal(["child openat a.txt -> 3", "parent waitpid -> exited 0", "parent openat a.txt -> -1 EACCES"], parent.StdoutLines);
    }

    [SkippableFact]
    public void Rules_follow_exec_and_counting_goes_on()
    {
        var r = Phoebe("RULE r ON openat IF call == 2 DO return EACCES", "exec", "-o", "a.txt", TargetBuilder.Path("opens"), "b.txt", "c.txt");
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat b.txt -> -1 EACCES", "openat c.txt -> 3", "close 3 -> 0"], r.StdoutLines);
    }

    [SkippableFact]
    public void Getpid_can_fail()
    {
        var r = Phoebe("RULE r ON getpid IF call == 2 DO return EPERM", "sleeper", "-n", "3", "-i", "10", "a.txt");
        Assert.Equal(
            ["tick 1 getpid -> ok", "tick 1 openat a.txt -> 3", "tick 2 getpid -> -1 EPERM", "tick 2 openat a.txt -> 3",
             "tick 3 getpid -> ok", "tick 3 openat a.txt -> 3"],
            r.StdoutLines);
    }

    [SkippableFact]
    public void Rules_on_different_syscalls_count_separately()
    {
        // close's first call fails at entry, so fd 3 stays open and the next successful open would get 4; openat's second call fails.
        var r = PhoebeCli.RunTarget(
            ["RULE a ON openat IF call == 2 DO return EACCES", "RULE b ON close IF call == 1 DO return EIO"],
            [TargetBuilder.Path("opens"), "a.txt", "b.txt", "c.txt"], workingDirectory: dir.Path);
        Assert.Equal(["openat a.txt -> 3", "close 3 -> -1 EIO", "openat b.txt -> -1 EACCES", "openat c.txt -> 4", "close 4 -> 0"], r.StdoutLines);
    }

    /// <param name="rule">An unconditional rule (may be decided in the kernel) and a per-call one (decided by the tracer).</param>
    /// <param name="firstFailingTick">The first tick of the traced sleeper whose open fails.</param>
    [SkippableTheory]
    [InlineData("RULE r ON openat DO return EACCES", 1)]
    [InlineData("RULE r ON openat IF call >= 2 DO return EACCES", 2)]
    public void A_same_named_process_outside_phoebe_is_not_touched(string rule, int firstFailingTick)
    {
        string sleeper = TargetBuilder.Path("sleeper");
        using var traced = PhoebeCli.Start(PhoebeCli.RunArgs([rule], [sleeper, "-n", "60", "-i", "50", "a.txt"]), dir.Path);
        traced.WaitForStdoutLine(l => l == $"tick {firstFailingTick} openat a.txt -> -1 EACCES", TimeSpan.FromSeconds(30));

        // While the traced one runs: the same programs, started directly, see every call succeed.
        var sibling = RunningProcess.Run(new ProcessSpec(sleeper, ["-n", "3", "-i", "10", "a.txt"], dir.Path), TimeSpan.FromSeconds(30));
        var opens = RunningProcess.Run(new ProcessSpec(TargetBuilder.Path("opens"), ["a.txt", "b.txt"], dir.Path), TimeSpan.FromSeconds(30));
        Assert.False(traced.HasExited, "the traced sleeper ended before the siblings ran: the test proves nothing");

        Assert.Equal(
            ["tick 1 getpid -> ok", "tick 1 openat a.txt -> 3", "tick 2 getpid -> ok", "tick 2 openat a.txt -> 3", "tick 3 getpid -> ok", "tick 3 openat a.txt -> 3"],
            sibling.StdoutLines);
        Assert.Equal(["openat a.txt -> 3", "close 3 -> 0", "openat b.txt -> 3", "close 3 -> 0"], opens.StdoutLines);

        var r = traced.WaitForExit(TimeSpan.FromSeconds(60));
        var openLines = r.StdoutLines.Where(l => l.Contains(" openat ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(60, openLines.Length);
        Assert.All(openLines.Skip(firstFailingTick - 1), l => Assert.EndsWith("-> -1 EACCES", l));
        Assert.All(openLines.Take(firstFailingTick - 1), l => Assert.EndsWith("-> 3", l));
        Assert.Equal(1, r.ExitCode);
    }
}
