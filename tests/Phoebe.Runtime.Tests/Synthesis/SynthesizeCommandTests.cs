using System.Text.Json;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Synthesis;

/// <summary><c>phoebe synthesize</c> end to end, in-process.</summary>
public sealed class SynthesizeCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("phoebe-synth-").FullName;

    private static string Example => Path.Combine(RepoPaths.Root, "examples", "profiles", "redis.yaml");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (int Exit, string Stdout, string Stderr) Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Phoebe.Cli.PhoebeCli.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Example_profile_synthesizes_rules_that_check_cleanly()
    {
        var (exit, stdout, stderr) = Cli("synthesize", Example);
        Assert.Equal(0, exit);
        Assert.Contains("synthesized 6 models", stderr);
        Assert.Contains("2 sporadic, 2 fluctuating, 2 steady", stderr);
        Assert.DoesNotContain("warning", stderr);
        var result = PhoebeCompiler.Compile(new SourceText("models.phb", stdout));
        Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        Assert.Equal(6, result.Plan!.Rules.Length);
        Assert.Contains("RULE futex_etimedout ON futex EXIT IF retval >= 0 && chance(0.588204) DO return ETIMEDOUT", stdout);
        Assert.Contains("# Profile: redis.yaml, target redis-server, 5760 intervals of 15s.", stdout);
        Assert.DoesNotContain(RepoPaths.Root, stdout);
    }

    [Theory]
    [InlineData("exit", "EXIT", "EXIT")]
    [InlineData("entry", "ENTRY", "ENTRY")]
    [InlineData("auto", "ENTRY", "EXIT")]
    public void Phase_chooses_when_the_rules_inject(string phase, string readPhase, string futexPhase)
    {
        // read moves bytes (failing it at EXIT would drop them); futex does not.
        var (exit, stdout, stderr) = Cli("synthesize", Example, "--phase", phase);
        Assert.True(exit == 0, stderr);
        var plan = PhoebeCompiler.Compile(new SourceText("models.phb", stdout));
        Assert.Empty(plan.Diagnostics.Select(DiagnosticRenderer.Render));
        var rules = plan.Plan!.Rules;
        Phase[] PhasesOf(string syscall) => [.. rules.Where(r => r.Syscalls[0].Name == syscall).Select(r => r.Phase).Distinct()];
        Assert.Equal([Enum.Parse<Phase>(readPhase, ignoreCase: true)], PhasesOf("read"));
        Assert.Equal([Enum.Parse<Phase>(futexPhase, ignoreCase: true)], PhasesOf("futex"));
        // An EXIT rule only fails calls that succeeded; an ENTRY rule fails the call before it runs.
        Assert.All(rules, r => Assert.Equal(r.Phase == Phase.Exit, stdout.Contains($"ON {r.Syscalls[0].Name} EXIT IF retval >= 0 && chance(", StringComparison.Ordinal)));
    }

    [Fact]
    public void Output_file_passes_phoebe_check()
    {
        string output = Path.Combine(dir, "models.phb");
        var (exit, stdout, stderr) = Cli("synthesize", Example, "-o", output);
        Assert.Equal(0, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"wrote {output}", stderr);
        var check = Cli("check", output);
        Assert.Equal(0, check.Exit);
        Assert.Contains("1 ok, 0 errors, 0 warnings", check.Stderr);
    }

    [Fact]
    public void Json_lists_every_model()
    {
        var (exit, stdout, _) = Cli("synthesize", Example, "--format", "json");
        Assert.Equal(0, exit);
        var models = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToArray();
        Assert.Equal(6, models.Length);
        var futex = models[0];
        Assert.Equal("futex", futex.GetProperty("syscall").GetString());
        Assert.Equal("ETIMEDOUT", futex.GetProperty("errno").GetString());
        Assert.Equal("steady", futex.GetProperty("case").GetString());
        Assert.Equal(0.49017 * 1.2, futex.GetProperty("rate").GetDouble());
        var observed = futex.GetProperty("observed");
        Assert.Equal(0.48304, observed.GetProperty("min").GetDouble());
        Assert.Equal(0.48879, observed.GetProperty("mean").GetDouble());
        Assert.Equal(0.49017, observed.GetProperty("max").GetDouble());
        Assert.Equal(0.000001, observed.GetProperty("var").GetDouble());
        Assert.Equal(73100000, observed.GetProperty("count").GetInt64());
        Assert.Equal(["steady", "steady", "fluctuating", "fluctuating", "sporadic", "sporadic"], models.Select(m => m.GetProperty("case").GetString()));
    }

    [Fact]
    public void Parameters_change_the_models()
    {
        // With b = 0.5 every error but accept4's (max 0.7013) is sporadic, injected at v = 0.01.
        var (exit, stdout, _) = Cli("synthesize", Example, "--format", "json", "--sporadic-threshold", "0.5", "--sporadic-rate", "0.01",
            "--variance-threshold", "0.1", "--amplification", "1.1");
        Assert.Equal(0, exit);
        var models = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["sporadic", "sporadic", "sporadic", "steady", "sporadic", "sporadic"], models.Select(m => m.GetProperty("case").GetString()));
        Assert.Equal(0.01, models[0].GetProperty("rate").GetDouble());
        Assert.Equal(0.7013 * 1.1, models[3].GetProperty("rate").GetDouble());
    }

    [Fact]
    public void Profile_errors_exit_1_with_file_line_col()
    {
        string path = Write("bad.yaml", "version: 1\ntarget: t\ninterval: 1s\nintervals: 1\nsyscalls: [{ name: futx, calls: 1 }]\nerrors: []\n");
        var (exit, stdout, stderr) = Cli("synthesize", path);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains($"{path}:5:20: error PHB3008: unknown syscall `futx`", stderr);
        Assert.Contains("hint: did you mean `futex`?", stderr);
        Assert.Contains("1 error: no models synthesized", stderr);
    }

    [Fact]
    public void Profile_errors_write_no_output_file()
    {
        string path = Write("bad.yaml", "version: 3\n");
        string output = Path.Combine(dir, "models.phb");
        var (exit, _, _) = Cli("synthesize", path, "-o", output);
        Assert.Equal(1, exit);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Warnings_are_shown_and_exit_0()
    {
        string path = Write("warn.yaml", "version: 1\ntarget: t\ninterval: 1s\nintervals: 2\nsyscalls: [{ name: read, calls: 10 }]\n" +
            "errors: [{ syscall: read, errno: EAGAIN, count: 1, rate: { min: 0.9, mean: 0.9, max: 0.9, var: 0 }, series: [0, 0.02] }]\n");
        var (exit, stdout, stderr) = Cli("synthesize", path);
        Assert.Equal(0, exit);
        Assert.Contains("warning PHB3016", stderr);
        Assert.Contains("chance(0.05)", stdout); // the series (max 0.019) is sporadic; the summary would have been steady
    }

    [Fact]
    public void Missing_file_exits_2()
    {
        var (exit, _, stderr) = Cli("synthesize", Path.Combine(dir, "nope.yaml"));
        Assert.Equal(2, exit);
        Assert.Contains("no such file", stderr);
        Assert.Equal(2, Cli("synthesize", dir).Exit);
    }

    [Theory]
    [InlineData("--format", "xml")]
    [InlineData("--sporadic-threshold", "1.5")]
    [InlineData("--sporadic-rate", "-0.1")]
    [InlineData("--variance-threshold", "-1")]
    [InlineData("--amplification", "abc")]
    [InlineData("--no-such-option", "1")]
    public void Usage_errors_exit_2(string option, string value)
    {
        var (exit, stdout, stderr) = Cli("synthesize", Example, option, value);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("phoebe", stderr);
    }

    [Fact]
    public void No_profile_argument_exits_2()
    {
        Assert.Equal(2, Cli("synthesize").Exit);
    }

    [Fact]
    public void Unwritable_output_exits_2()
    {
        var (exit, _, stderr) = Cli("synthesize", Example, "-o", Path.Combine(dir, "no", "such", "dir", "m.phb"));
        Assert.Equal(2, exit);
        Assert.Contains("cannot write", stderr);
    }
}
