namespace Phoebe.Lang.Tests;

/// <summary>Locates the repository from the test binaries.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Cases => Path.Combine(RepoRoot, "tests", "Phoebe.Lang.Tests", "cases");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoebe.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Phoebe.sln) above the test binaries");
    }
}
