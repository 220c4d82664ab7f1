using System.Collections;
using System.Text.Json;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Health;

/// <summary><c>phoebe check</c> compiles HEALTH blocks: run as a real process, as a user runs it.</summary>
public sealed class HealthCheckCommandTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    // The disk cache goes to the scratch directory, not the machine's ~/.cache.
    private Dictionary<string, string> Environment(string? cache = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        env["PHOEBE_HEALTH_CACHE"] = cache ?? dir.File("cache");
        return env;
    }

    private const string Broken = "RULE r ON openat DO return ENOENT\n\nHEALTH typo {\n    int latency = 12;\n    return latncy < 100;\n}\n";

    [Fact]
    public void Csharp_error_exits_1_with_phb_position_and_caret()
    {
        string path = dir.Write("broken.phb", Broken);
        var first = PhoebeCli.Run(["check", "broken.phb"], dir.Path, Environment());
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("broken.phb:5:12: error PHB1030: C# error CS0103: The name 'latncy' does not exist in the current context\n" +
            "    return latncy < 100;\n" +
            "           ^~~~~~\n", first.Stderr);
        Assert.Contains("checked 1 file: 0 ok, 1 error, 0 warnings", first.Stderr);

        // The second run finds the body in the disk cache and says exactly the same.
        Assert.NotEmpty(Directory.GetFiles(dir.File("cache"), "*.json"));
        var second = PhoebeCli.Run(["check", "broken.phb"], dir.Path, Environment());
        Assert.Equal(1, second.ExitCode);
        Assert.Equal(first.Stderr, second.Stderr);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Json_format_carries_the_csharp_diagnostic()
    {
        dir.Write("broken.phb", Broken);
        var result = PhoebeCli.Run(["check", "--format", "json", "broken.phb"], dir.Path, Environment("off"));
        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var file = json.RootElement.GetProperty("files")[0];
        Assert.False(file.GetProperty("ok").GetBoolean());
        var d = Assert.Single(file.GetProperty("diagnostics").EnumerateArray());
        Assert.Equal("PHB1030", d.GetProperty("code").GetString());
        Assert.Equal("error", d.GetProperty("severity").GetString());
        Assert.Equal(5, d.GetProperty("line").GetInt32());
        Assert.Equal(12, d.GetProperty("column").GetInt32());
        Assert.Equal(18, d.GetProperty("endColumn").GetInt32());
        Assert.StartsWith("C# error CS0103:", d.GetProperty("message").GetString());
    }

    [Fact]
    public void Clean_health_checks_exit_0_and_warnings_do_not_fail()
    {
        dir.Write("ok.phb", "HEALTH alive { return Target.Alive; }\nHEALTH odd { return true; Log(\"never\"); }\n");
        var result = PhoebeCli.Run(["check", "--explain", "ok.phb"], dir.Path, Environment());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("ok.phb:2:27: warning PHB1031: C# warning CS0162: Unreachable code detected", result.Stderr);
        Assert.Contains("checked 1 file: 1 ok, 0 errors, 1 warning", result.Stderr);
    }

    [Fact]
    public void Language_errors_stop_before_csharp_is_compiled()
    {
        dir.Write("both.phb", "RULE r ON opnat DO return ENOENT\nHEALTH h { return nope; }\n");
        var result = PhoebeCli.Run(["check", "both.phb"], dir.Path, Environment("off"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error PHB1001", result.Stderr);
        Assert.DoesNotContain("PHB1030", result.Stderr);
    }

    [SkippableFact]
    public void Roslyn_loads_only_to_compile_csharp_it_has_not_compiled_before()
    {
        string strace = HostTools.Require("strace", "sees which assemblies the CLI opens: apt-get install strace");
        dir.Write("rules.phb", "RULE r ON openat IF path ~ \"/tmp/*\" && chance(5%) DO return ENOENT\n");
        dir.Write("health.phb", "HEALTH alive { return Target.Alive; }\n");
        string Opened(string file)
        {
            string log = dir.File(file + ".strace");
            var result = RunningProcess.Run(new ProcessSpec(strace, ["-f", "-qq", "-e", "trace=openat", "-o", log, PhoebeCli.DotnetHost, PhoebeCli.Dll, "check", file],
                dir.Path, Environment()), TimeSpan.FromSeconds(120));
            Assert.True(result.ExitCode == 0, result.ToString());
            return File.ReadAllText(log);
        }
        Assert.DoesNotContain("Microsoft.CodeAnalysis", Opened("rules.phb"));
        // The control: the same probe sees Roslyn when there is new C# to compile...
        Assert.Contains("Microsoft.CodeAnalysis.CSharp.dll", Opened("health.phb"));
        // ...and not when the disk cache has it.
        Assert.DoesNotContain("Microsoft.CodeAnalysis", Opened("health.phb"));
    }
}
