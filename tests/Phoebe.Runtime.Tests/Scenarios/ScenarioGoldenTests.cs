using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Scenarios;

/// <summary>
/// <c>phoebe scenario validate</c> on each scenario under Scenarios/cases/NAME/ (with the files it
/// references), compared with NAME/expected.txt: the exit code, stdout and stderr, with the cases
/// directory left out of paths. <c>PHOEBE_UPDATE_GOLDEN=1</c> rewrites the expected files.
/// </summary>
public sealed class ScenarioGoldenTests
{
    private static string CasesDirectory => Path.Combine(RepoPaths.Root, "tests", "Phoebe.Runtime.Tests", "Scenarios", "cases");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(CasesDirectory).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_output_matches_the_golden_file(string name)
    {
        var r = PhoebeCli.Run(["scenario", "validate", Path.Combine(name, "scenario.yaml")], workingDirectory: CasesDirectory);
        string actual = $"exit {r.ExitCode}\n--- stdout\n{r.Stdout}--- stderr\n{r.Stderr}".Replace(CasesDirectory + "/", "", StringComparison.Ordinal);
        string expectedPath = Path.Combine(CasesDirectory, name, "expected.txt");
        if (Environment.GetEnvironmentVariable("PHOEBE_UPDATE_GOLDEN") == "1") File.WriteAllText(expectedPath, actual);
        Assert.True(File.Exists(expectedPath), $"no {expectedPath}: run with PHOEBE_UPDATE_GOLDEN=1 to write it\n{actual}");
        Assert.Equal(File.ReadAllText(expectedPath), actual);
    }

    [Fact]
    public void Every_valid_case_exits_0_and_every_other_exits_1()
    {
        foreach (var dir in Directory.GetDirectories(CasesDirectory))
        {
            string first = File.ReadLines(Path.Combine(dir, "expected.txt")).First();
            Assert.Equal(Path.GetFileName(dir) == "valid" ? "exit 0" : "exit 1", first);
        }
    }
}
