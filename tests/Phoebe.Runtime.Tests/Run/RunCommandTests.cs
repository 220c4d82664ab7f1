using System.Text.Json;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// The command-line contract of <c>phoebe run</c>: the target's exit code and
/// output pass through unchanged, <c>-q</c> adds nothing, and otherwise a per-rule
/// summary goes to stderr.
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    /// <summary>A rule that never fires in these tests: <c>run</c> needs at least one.</summary>
    private const string Idle = "RULE idle ON openat IF call == 100000 DO return EIO";

    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    [SkippableTheory]
    [InlineData("exit 0", 0)]
    [InlineData("exit 7", 7)]
    [InlineData("kill -TERM $$", 143)]
    [InlineData("kill -KILL $$", 137)]
    public void Exit_code_is_the_targets(string script, int expected)
    {
        var r = PhoebeCli.RunTarget([Idle], ["sh", "-c", script], workingDirectory: dir.Path);
        Assert.Equal(expected, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [SkippableFact]
    public void Quiet_output_is_exactly_the_targets()
    {
        var r = PhoebeCli.RunTarget([Idle], ["sh", "-c", "echo out; echo err >&2; exit 3"], workingDirectory: dir.Path);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
        Assert.Equal(3, r.ExitCode);
    }

    [SkippableFact]
    public void Quiet_prints_nothing_even_when_injecting()
    {
        var r = PhoebeCli.RunTarget(["RULE second_open_fails ON openat IF call == 2 DO return EACCES"],
            [TargetBuilder.Path("opens"), "a.txt", "b.txt"], workingDirectory: dir.Path);
        Assert.Equal("openat a.txt -> 3\nclose 3 -> 0\nopenat b.txt -> -1 EACCES\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [SkippableFact]
    public void Without_quiet_a_summary_names_each_rule_on_stderr()
    {
        var r = PhoebeCli.RunTarget(
            ["RULE second_open_fails ON openat IF call == 2 DO return EACCES", "RULE never_closes ON close IF call == 99 DO return EIO"],
            [TargetBuilder.Path("opens"), "a.txt", "b.txt"], quiet: false, workingDirectory: dir.Path);
        Assert.Equal("openat a.txt -> 3\nclose 3 -> 0\nopenat b.txt -> -1 EACCES\n", r.Stdout);
        Assert.Contains("second_open_fails", r.Stderr);
        Assert.Contains("never_closes", r.Stderr);
        Assert.Equal(1, r.ExitCode);
    }

    [SkippableFact]
    public void Json_summary_is_json_naming_each_rule()
    {
        var r = PhoebeCli.Run(
            ["run", "--summary", "json", "-e", "RULE second_open_fails ON openat IF call == 2 DO return EACCES", "--", TargetBuilder.Path("opens"), "a.txt", "b.txt"],
            workingDirectory: dir.Path);
        Assert.Equal("openat a.txt -> 3\nclose 3 -> 0\nopenat b.txt -> -1 EACCES\n", r.Stdout);
        using var summary = JsonDocument.Parse(r.Stderr);
        Assert.Contains("second_open_fails", r.Stderr);
    }

    [SkippableFact]
    public void Rules_can_come_from_files()
    {
        dir.Write("rules.phb", "RULE second_open_fails\n  ON openat\n  IF call == 2\n  DO return EACCES\nENDRULE\n");
        var r = PhoebeCli.Run(["run", "-q", "rules.phb", "--", TargetBuilder.Path("opens"), "a.txt", "b.txt"], workingDirectory: dir.Path);
        Assert.Equal("openat a.txt -> 3\nclose 3 -> 0\nopenat b.txt -> -1 EACCES\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [SkippableFact]
    public void Log_has_one_json_line_per_injection()
    {
        string log = dir.File("injections.jsonl");
        var r = PhoebeCli.Run(
            ["run", "-q", "--log", log, "-e", "RULE second_open_fails ON openat IF call == 2 DO return EACCES", "--", TargetBuilder.Path("opens"), "a.txt", "b.txt", "c.txt"],
            workingDirectory: dir.Path);
        Assert.Equal(1, r.ExitCode);
        var lines = File.ReadAllLines(log).Where(l => l.Length > 0).ToArray();
        var line = Assert.Single(lines);
        using var entry = JsonDocument.Parse(line);
        Assert.Equal(JsonValueKind.Object, entry.RootElement.ValueKind);
        Assert.Contains("second_open_fails", line);
    }

    [SkippableFact]
    public void Log_lines_carry_the_call_and_are_written_before_the_target_goes_on()
    {
        string log = dir.File("exit.jsonl");
        var r = PhoebeCli.Run(
            ["run", "-q", "--log", log, "-e", "RULE r ON openat EXIT IF retval >= 0 DO return EIO", "--", TargetBuilder.Path("opens"), "a.txt"],
            workingDirectory: dir.Path);
        using var entry = JsonDocument.Parse(File.ReadAllLines(log).Single(l => l.Length > 0));
        var e = entry.RootElement;
        Assert.Equal("openat", e.GetProperty("syscall").GetString());
        Assert.Equal("a.txt", e.GetProperty("path").GetString());
        Assert.Equal("r", e.GetProperty("rule").GetString());
        Assert.Equal("return EIO (-5)", e.GetProperty("action").GetString());
        Assert.Equal(3, e.GetProperty("original").GetInt64());
        Assert.Equal(6, e.GetProperty("args").GetArrayLength());
        Assert.Equal(-100, e.GetProperty("args")[0].GetInt64()); // AT_FDCWD, as the kernel sees the int
        Assert.True(e.GetProperty("pid").GetInt32() > 0);
        Assert.Contains("openat a.txt -> -1 EIO", r.Stdout);
    }

    [SkippableFact]
    public void Rules_on_library_functions_only_are_refused_with_a_reason()
    {
        var r = PhoebeCli.Run(["run", "-e", "RULE r ON malloc@libc DO return ENOMEM", "--", "true"], workingDirectory: dir.Path);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("targets only library functions, which cannot be injected yet", r.Stderr);
    }

    [SkippableFact]
    public void Usage_errors_are_explained()
    {
        var noCommand = PhoebeCli.Run(["run", "-e", "RULE r ON openat DO return ENOENT"], workingDirectory: dir.Path);
        Assert.Equal(2, noCommand.ExitCode);
        Assert.Contains("run needs a command after `--`", noCommand.Stderr);
        var noRules = PhoebeCli.Run(["run", "--", "true"], workingDirectory: dir.Path);
        Assert.Equal(2, noRules.ExitCode);
        Assert.Contains("run needs rules", noRules.Stderr);
        var badRule = PhoebeCli.Run(["run", "-e", "RULE r ON opnat DO return ENOENT", "--", "true"], workingDirectory: dir.Path);
        Assert.Equal(125, badRule.ExitCode);
        Assert.Contains("-e:1:11: error PHB1001: unknown syscall `opnat`", badRule.Stderr);
    }
}
