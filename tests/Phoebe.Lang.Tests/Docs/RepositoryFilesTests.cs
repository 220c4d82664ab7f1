using System.Text.RegularExpressions;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Tests.Docs;

/// <summary>The shipped examples, stdlib and the language reference's code blocks all check.</summary>
public partial class RepositoryFilesTests
{
    public static TheoryData<string> ShippedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "examples", "stdlib" })
        {
            foreach (var f in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, dir), "*.phb").Order(StringComparer.Ordinal))
            {
                data.Add($"{dir}/{Path.GetFileName(f)}");
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void Shipped_files_check_without_errors(string relative)
    {
        var result = PhoebeCompiler.CompileFile(relative, new SourceResolver(TestPaths.RepoRoot));
        Assert.False(result.HasErrors, string.Concat(result.Diagnostics.Select(DiagnosticRenderer.Render)));
        if (relative.StartsWith("stdlib/", StringComparison.Ordinal))
        {
            Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        }
    }

    [Fact]
    public void Stdlib_modules_are_embedded()
    {
        var onDisk = Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "stdlib"), "*.phb").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(onDisk, SourceResolver.StdlibModules);
        Assert.Contains("disk-full", SourceResolver.StdlibModules);
    }

    [GeneratedRegex(@"^```phb(?<tag>[^\n]*)\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedPhb();

    [Fact]
    public void Language_reference_examples_check_as_documented()
    {
        string docs = Path.Combine(TestPaths.RepoRoot, "docs");
        string text = File.ReadAllText(Path.Combine(docs, "language.md"));
        var blocks = FencedPhb().Matches(text);
        Assert.True(blocks.Count >= 20, $"docs/language.md has only {blocks.Count} phb examples");
        var failures = new List<string>();
        foreach (Match block in blocks)
        {
            int line = text[..block.Index].Count(c => c == '\n') + 1;
            string tag = block.Groups["tag"].Value.Trim();
            var source = new SourceText($"docs/language.md:{line}", block.Groups["code"].Value);
            var result = PhoebeCompiler.Compile(source, new SourceResolver(docs), Path.Combine(docs, $"language.md.{line}.phb"));
            if (tag.StartsWith("error=", StringComparison.Ordinal))
            {
                string code = tag["error=".Length..];
                if (!result.Diagnostics.Any(d => d.Code == code)) failures.Add($"line {line}: expected {code}, got [{string.Join(",", result.Diagnostics.Select(d => d.Code))}]");
            }
            else if (tag.Length == 0)
            {
                if (result.HasErrors) failures.Add($"line {line}:\n" + string.Concat(result.Diagnostics.Select(DiagnosticRenderer.Render)));
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Language_reference_lists_every_diagnostic_code()
    {
        string text = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "language.md"));
        var missing = DiagnosticCatalog.All.Where(d => !text.Contains(d.Code, StringComparison.Ordinal)).Select(d => d.Code).ToArray();
        Assert.Empty(missing);
    }
}
