using System.Text.Json;

namespace Phoebe.Lang.Tests.Cli;

public sealed class CheckCommandTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("phoebe-cli");

    public void Dispose() => dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Clean_file_exits_0_and_warnings_do_not_fail()
    {
        string path = Write("ok.phb", "RULE r ON futex EXIT DO return ENOSPC\n");
        var (exit, _, stderr) = CliRunner.Run("check", path);
        Assert.Equal(0, exit);
        Assert.Contains("warning PHB1017", stderr);
    }

    [Fact]
    public void Errors_exit_1_with_location_and_caret()
    {
        string path = Write("bad.phb", "RULE r ON opnat DO return ENOENT\n");
        var (exit, _, stderr) = CliRunner.Run("check", path);
        Assert.Equal(1, exit);
        Assert.Contains($"{path}:1:11: error PHB1001: unknown syscall `opnat`", stderr);
        Assert.Contains("          ^~~~~", stderr);
        Assert.Contains("hint: did you mean `openat`?", stderr);
    }

    [Fact]
    public void Missing_file_and_usage_errors_exit_2()
    {
        Assert.Equal(2, CliRunner.Run("check", Path.Combine(dir.FullName, "nope.phb")).Exit);
        Assert.Equal(2, CliRunner.Run("check").Exit);
        Assert.Equal(2, CliRunner.Run("check", "--format", "xml", Write("x.phb", "")).Exit);
        Assert.Equal(2, CliRunner.Run("check", dir.FullName).Exit);
        Assert.Equal(2, CliRunner.Run("frobnicate").Exit);
    }

    [Fact]
    public void Io_error_wins_over_errors_in_other_files()
    {
        string bad = Write("bad.phb", "RULE r ON opnat DO return ENOENT\n");
        var (exit, _, stderr) = CliRunner.Run("check", bad, Path.Combine(dir.FullName, "missing.phb"));
        Assert.Equal(2, exit);
        Assert.Contains("PHB1001", stderr);
        Assert.Contains("missing.phb: no such file", stderr);
    }

    [Fact]
    public void Explain_prints_numbers_phase_split_actions_and_backend()
    {
        string path = Write("card.phb", "RULE futex_timeouts ON futex EXIT IF rate < observed.max*1.2 && chance(50%) DO return ETIMEDOUT\n");
        var (exit, stdout, _) = CliRunner.Run("check", "--explain", path);
        Assert.Equal(0, exit);
        Assert.Contains("futex (x86_64 202, aarch64 98)", stdout);
        Assert.Contains("phase:     EXIT", stdout);
        Assert.Contains("per-call:  chance(50%)", stdout);
        Assert.Contains("control:   rate < observed.max * 1.2", stdout);
        Assert.Contains("actions:   return ETIMEDOUT (-110)", stdout);
        Assert.Contains("backend:   ptrace", stdout);
    }

    [Fact]
    public void Json_format_carries_diagnostics_and_plan()
    {
        string good = Write("good.phb", "RULE r ON openat IF call == 2 DO return ENOENT\n");
        string bad = Write("bad.phb", "RULE r ON read DO return ENOENTT\n");
        var (exit, stdout, _) = CliRunner.Run("check", "--format", "json", "--explain", good, bad);
        Assert.Equal(1, exit);
        using var doc = JsonDocument.Parse(stdout);
        var files = doc.RootElement.GetProperty("files");
        Assert.Equal(2, files.GetArrayLength());
        var first = files[0];
        Assert.True(first.GetProperty("ok").GetBoolean());
        var rule = first.GetProperty("plan").GetProperty("rules")[0];
        Assert.Equal("call == 2", rule.GetProperty("perCall").GetString());
        Assert.Equal("seccomp-notify", rule.GetProperty("backends")[0].GetProperty("backend").GetString());
        Assert.Equal(257, rule.GetProperty("syscalls")[0].GetProperty("x86_64").GetInt32());
        var diag = files[1].GetProperty("diagnostics")[0];
        Assert.Equal("PHB1002", diag.GetProperty("code").GetString());
        Assert.Equal(1, diag.GetProperty("line").GetInt32());
        Assert.Equal(26, diag.GetProperty("column").GetInt32());
        Assert.Equal("did you mean `ENOENT`?", diag.GetProperty("hints")[0].GetString());
    }

    [Fact]
    public void Every_file_is_checked_on_its_own()
    {
        // The same rule name in two files given on the command line is fine: each file is its own root.
        string a = Write("a.phb", "RULE r ON read DO return EIO\n");
        string b = Write("b.phb", "RULE r ON write DO return EIO\n");
        Assert.Equal(0, CliRunner.Run("check", a, b).Exit);
    }

    [Fact]
    public void Imports_resolve_relative_to_the_importing_file_and_from_stdlib()
    {
        Directory.CreateDirectory(Path.Combine(dir.FullName, "lib"));
        Write("lib/common.phb", "RULE common ON read DO return EIO\n");
        string main = Write("main.phb", "import \"lib/common.phb\"\nimport \"disk-full\"\nRULE mine ON write DO return EIO\n");
        var (exit, stdout, stderr) = CliRunner.Run("check", "--explain", main);
        Assert.True(exit == 0, stderr);
        Assert.Contains("rule common", stdout);
        Assert.Contains("rule mine", stdout);
        Assert.Contains("<stdlib>/disk-full.phb", stdout);
    }
}
