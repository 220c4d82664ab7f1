using System.Reflection;
using System.Text.RegularExpressions;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Health;

/// <summary>docs/health.md and every shipped HEALTH block compile as documented, C# included.</summary>
public sealed partial class HealthDocsTests
{
    [GeneratedRegex(@"^```phb(?<tag>[^\n]*)\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedPhb();

    private static string Docs(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", name));

    /// <summary>
    /// Compiles the ```phb blocks of a document (with <paramref name="healthOnly"/>, those with a HEALTH
    /// block, and only errors fail them) through the language and the health pass; returns the failures.
    /// </summary>
    private static List<string> CheckFencedBlocks(string document, bool healthOnly)
    {
        string text = Docs(document);
        string dir = Path.Combine(RepoPaths.Root, "docs");
        var failures = new List<string>();
        int checkedBlocks = 0;
        foreach (Match block in FencedPhb().Matches(text))
        {
            string code = block.Groups["code"].Value;
            if (healthOnly && !code.Contains("HEALTH", StringComparison.Ordinal)) continue;
            checkedBlocks++;
            int line = text[..block.Index].Count(c => c == '\n') + 1;
            string tag = block.Groups["tag"].Value.Trim();
            var source = new SourceText($"docs/{document}:{line}", code);
            var result = PhoebeCompiler.Compile(source, new SourceResolver(dir), Path.Combine(dir, $"{document}.{line}.phb"));
            var diagnostics = HealthPass.Run(result, HealthSources.Compiler).Result.Diagnostics;
            if (tag.StartsWith("error=", StringComparison.Ordinal))
            {
                string expected = tag["error=".Length..];
                if (!diagnostics.Any(d => d.Code == expected)) failures.Add($"line {line}: expected {expected}, got [{string.Join(",", diagnostics.Select(d => d.Code))}]");
            }
            else if (tag.Length == 0 && diagnostics.Any(d => d.Severity == Severity.Error || (!healthOnly && d.Severity == Severity.Warning)))
            {
                failures.Add($"line {line}:\n" + HealthSources.Render(diagnostics));
            }
        }
        Assert.True(checkedBlocks > 0, $"docs/{document} has no phb blocks");
        return failures;
    }

    [Fact]
    public void Health_reference_examples_compile_as_documented()
    {
        var failures = CheckFencedBlocks("health.md", healthOnly: false);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Language_reference_health_examples_compile()
    {
        var failures = CheckFencedBlocks("language.md", healthOnly: true);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public static TheoryData<string> ShippedFilesWithHealthChecks()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "examples", "stdlib" })
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, dir), "*.phb").Order(StringComparer.Ordinal))
            {
                if (File.ReadAllText(f).Contains("HEALTH ", StringComparison.Ordinal)) data.Add($"{dir}/{Path.GetFileName(f)}");
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedFilesWithHealthChecks))]
    public void Shipped_health_checks_compile(string relative)
    {
        var result = PhoebeCompiler.CompileFile(relative, new SourceResolver(RepoPaths.Root));
        var pass = HealthPass.Run(result, HealthSources.Compiler);
        Assert.False(pass.Result.HasErrors, HealthSources.Render(pass.Result.Diagnostics));
        Assert.NotEmpty(pass.Checks);
    }

    [Fact]
    public void Every_global_is_documented()
    {
        string docs = Docs("health.md");
        var members = typeof(HealthContext).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m is PropertyInfo || m is MethodInfo { IsSpecialName: false })
            .Select(m => m.Name)
            .Distinct()
            .ToArray();
        Assert.NotEmpty(members);
        var missing = members.Where(m => !docs.Contains($"`{m}", StringComparison.Ordinal)).ToArray();
        Assert.Empty(missing);
    }

    [Fact]
    public void Imports_are_documented()
    {
        string docs = Regex.Replace(Docs("health.md"), @"\s+", " ");
        Assert.Contains(string.Join(", ", HealthCompiler.Imports), docs);
    }

    [Fact]
    public void Default_timeout_is_the_documented_one()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), HealthRunner.DefaultTimeout);
        Assert.Contains("`TIMEOUT` (default **1s**)", Regex.Replace(Docs("health.md"), @"\s+", " "));
    }

    [Fact]
    public void Health_codes_are_in_the_language_catalogue_and_both_references()
    {
        foreach (var d in new[] { DiagnosticCatalog.CSharpError, DiagnosticCatalog.CSharpWarning })
        {
            Assert.Contains(d, DiagnosticCatalog.All);
            Assert.Contains($"| {d.Code} |", Docs("language.md"));
            Assert.Contains($"| {d.Code} |", Docs("health.md"));
        }
    }
}
