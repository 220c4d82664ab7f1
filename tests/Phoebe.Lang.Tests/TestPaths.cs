using System.Runtime.CompilerServices;

namespace Phoebe.Lang.Tests;

/// <summary>Locates the repository from the test binaries.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Cases => Path.Combine(RepoRoot, "tests", "Phoebe.Lang.Tests", "cases");

    private static string FindRoot()
    {
        // Above the test binaries in a default build; beside this source file when built elsewhere (--artifacts-path).
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(SourceFile()) ?? "", Environment.CurrentDirectory })
        {
            var dir = start.Length > 0 ? new DirectoryInfo(start) : null;
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoebe.sln"))) dir = dir.Parent;
            if (dir != null) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (Phoebe.sln) above the test binaries or their sources");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
