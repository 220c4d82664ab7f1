namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// The three ways a launched target's ENTRY rules are served must agree: in the
/// kernel (SECCOMP_RET_ERRNO), by the notification supervisor (SECCOMP_RET_USER_NOTIF)
/// and by the tracer (ptrace, forced with --ptrace-only).
///
/// Rules the seccomp filter decides in the kernel (unconditional, or argN == constant)
/// must fail exactly the calls the tracer would fail for the same condition.
/// Adding <c>call &gt;= 1</c> (always true) forces the same rule through ptrace.
/// </summary>
public sealed class KernelFilterTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [SkippableTheory]
    [InlineData("arg0 == -100")]                 // AT_FDCWD: an int argument, sign-extended
    [InlineData("arg2 == 0x80000")]              // O_RDONLY | O_CLOEXEC
    [InlineData("arg0 == -100 && arg2 == 0x80000")]
    [InlineData("arg0 == -99")]                  // never true
    [InlineData("arg2 == 0x80001")]              // never true
    [InlineData("arg0 == 4294967196")]           // the raw unsigned view of -100: the kernel sees an int, never equal
    public void Kernel_and_tracer_fail_the_same_calls(string condition)
    {
        string[] command = [TargetBuilder.Path("opens"), "a.txt", "b.txt"];
        var kernel = PhoebeCli.RunTarget([$"RULE r ON openat IF {condition} DO return EACCES"], command, quiet: false, workingDirectory: dir.Path);
        var traced = PhoebeCli.RunTarget([$"RULE r ON openat IF {condition} && call >= 1 DO return EACCES"], command, quiet: false, workingDirectory: dir.Path);
        Assert.Equal(traced.Stdout, kernel.Stdout);
        Assert.Equal(traced.ExitCode, kernel.ExitCode);
        bool inKernel = !condition.Contains("4294967196", StringComparison.Ordinal);
        Assert.Equal(inKernel, kernel.Stderr.Contains("in kernel", StringComparison.Ordinal));
        Assert.DoesNotContain("in kernel", traced.Stderr);
    }

    [SkippableTheory]
    [InlineData("RULE r ON openat IF call == 2 DO return EACCES")]
    [InlineData("RULE r ON openat IF path ~ \"*b.txt\" DO return ENOENT")]
    [InlineData("RULE r ON openat IF call >= 2 DO return 7")]
    [InlineData("RULE r ON openat, close IF call == 1 DO log \"first\"; return EIO")]
    [InlineData("RULE r ON close IF fd == 3 && call == 2 DO return EBADF")]
    public void Notification_and_ptrace_serve_entry_rules_alike(string rule)
    {
        foreach (var name in new[] { "a.txt", "b.txt", "c.txt" }) dir.Write(name, name);
        string[] command = [TargetBuilder.Path("opens"), "a.txt", "b.txt", "c.txt"];
        var notified = PhoebeCli.Run(PhoebeCli.RunArgs([rule], command), workingDirectory: dir.Path);
        var traced = PhoebeCli.Run(["run", "--ptrace-only", .. PhoebeCli.RunArgs([rule], command).Skip(1)], workingDirectory: dir.Path);
        Assert.Equal(traced.Stdout, notified.Stdout);
        Assert.Equal(traced.ExitCode, notified.ExitCode);
        // Something was injected: the target's own output differs from a run without Phoebe.
        var native = RunningProcess.Run(new ProcessSpec(command[0], command[1..], dir.Path));
        Assert.NotEqual(native.Stdout, notified.Stdout);
    }

    [SkippableFact]
    public void Matching_condition_fails_every_open_in_the_kernel()
    {
        var r = PhoebeCli.RunTarget(["RULE r ON openat IF arg0 == -100 && arg2 == 0x80000 DO return EACCES"],
            [TargetBuilder.Path("opens"), "a.txt", "b.txt"], workingDirectory: dir.Path);
        Assert.Equal(["openat a.txt -> -1 EACCES", "openat b.txt -> -1 EACCES"], r.StdoutLines);
    }

    [SkippableFact]
    public void A_traced_rule_on_the_same_syscall_keeps_the_kernel_rule_in_the_tracer()
    {
        // The log rule must see every call, so the errno rule cannot be decided in the kernel.
        var r = PhoebeCli.RunTarget(["RULE deny ON openat IF arg0 == -100 DO return EACCES", "RULE watch ON openat DO log \"open\""],
            [TargetBuilder.Path("opens"), "a.txt"], quiet: false, workingDirectory: dir.Path);
        Assert.Equal(["openat a.txt -> -1 EACCES"], r.StdoutLines);
        Assert.DoesNotContain("in kernel", r.Stderr);
        Assert.Contains("[watch] open", r.Stderr);
    }
}
