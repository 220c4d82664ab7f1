using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Profiles;

/// <summary>
/// Golden tests: every <c>cases/profiles/NNN-name.yaml</c> is read and its rendered
/// diagnostics compared with <c>NNN-name.expected</c>. Set PHOEBE_UPDATE_GOLDEN=1 to
/// rewrite the expectations (then review the diff).
/// </summary>
public class GoldenProfileTests
{
    private static bool Update => Environment.GetEnvironmentVariable("PHOEBE_UPDATE_GOLDEN") == "1";

    private static string Cases => Path.Combine(RepoPaths.Root, "tests", "Phoebe.Runtime.Tests", "cases", "profiles");

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Cases, "*.yaml").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Diagnostics_match_golden(string name)
    {
        // The display path is the case's name, so the expectations hold on every machine.
        var result = ProfileReader.Read(new SourceText(name, File.ReadAllText(Path.Combine(Cases, name))));
        string actual = string.Concat(result.Diagnostics.Select(DiagnosticRenderer.Render));
        Assert.Equal(result.HasErrors, result.Profile is null);
        string path = Path.Combine(Cases, Path.ChangeExtension(name, ".expected"));
        if (Update)
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"missing golden file {path}; run with PHOEBE_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void Every_profile_diagnostic_code_has_a_golden_case()
    {
        var expected = Directory.EnumerateFiles(Cases, "*.expected").Select(File.ReadAllText).ToArray();
        var missing = ProfileDiagnostics.All
            .Where(d => !expected.Any(text => text.Contains($" {d.Code}: ", StringComparison.Ordinal)))
            .Select(d => d.Code)
            .ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void Profile_codes_do_not_clash_with_the_language()
    {
        Assert.All(ProfileDiagnostics.All, d => Assert.StartsWith("PHB3", d.Code));
        Assert.Empty(ProfileDiagnostics.All.Select(d => d.Code).Intersect(DiagnosticCatalog.All.Select(d => d.Code)));
        Assert.Equal(ProfileDiagnostics.All.Count, ProfileDiagnostics.All.Select(d => d.Code).Distinct().Count());
    }

    [Fact]
    public void The_profile_reference_lists_every_code()
    {
        string text = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "profile.md"));
        var missing = ProfileDiagnostics.All.Where(d => !text.Contains(d.Code, StringComparison.Ordinal)).Select(d => d.Code).ToArray();
        Assert.Empty(missing);
    }
}
