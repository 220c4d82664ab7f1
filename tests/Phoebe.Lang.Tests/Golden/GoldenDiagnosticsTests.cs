using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;

namespace Phoebe.Lang.Tests.Golden;

/// <summary>
/// Golden tests: every <c>cases/NNN-area/name.phb</c> is compiled as <c>phoebe check</c>
/// compiles it (the language's passes, then the health pass for C#) and its rendered
/// diagnostics compared with <c>name.expected</c>; cases under <c>plan/</c> also
/// compare the <c>--explain</c> output with <c>name.explain</c>. Set
/// PHOEBE_UPDATE_GOLDEN=1 to rewrite the expectations (then review the diff).
/// </summary>
public class GoldenDiagnosticsTests
{
    private static bool Update => Environment.GetEnvironmentVariable("PHOEBE_UPDATE_GOLDEN") == "1";

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TestPaths.Cases, "*.phb", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // Files under an `imports` folder are only imported by cases.
            if (file.Contains($"{Path.DirectorySeparatorChar}imports{Path.DirectorySeparatorChar}")) continue;
            data.Add(Path.GetRelativePath(TestPaths.Cases, file).Replace('\\', '/'));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostics_match_golden(string relative)
    {
        // What `phoebe check` reports: the language's passes, then the C# of HEALTH blocks (cases/140-csharp).
        var result = HealthPass.Run(PhoebeCompiler.CompileFile(relative, new SourceResolver(TestPaths.Cases))).Result;
        string actual = string.Concat(result.Diagnostics.Select(DiagnosticRenderer.Render));
        Compare(relative, ".expected", actual);
        if (relative.StartsWith("plan/", StringComparison.Ordinal))
        {
            Assert.NotNull(result.Plan);
            Compare(relative, ".explain", Phoebe.Cli.PlanExplainer.Explain(result.Plan!));
        }
    }

    [Fact]
    public void Every_diagnostic_code_has_a_golden_case()
    {
        var expected = Directory.EnumerateFiles(TestPaths.Cases, "*.expected", SearchOption.AllDirectories)
            .Select(File.ReadAllText).ToArray();
        var missing = DiagnosticCatalog.All
            .Where(d => !expected.Any(text => text.Contains($" {d.Code}: ", StringComparison.Ordinal)))
            .Select(d => d.Code)
            .ToArray();
        Assert.Empty(missing);
    }

    private static void Compare(string relative, string extension, string actual)
    {
        string path = Path.Combine(TestPaths.Cases, Path.ChangeExtension(relative, extension));
        if (Update)
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"missing golden file {path}; run with PHOEBE_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
