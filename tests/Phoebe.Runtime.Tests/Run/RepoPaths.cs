namespace Phoebe.Runtime.Tests.Run;

/// <summary>Locates the repository from the test binaries.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/targets: the C sources of the test targets.</summary>
    public static string Targets => Path.Combine(Root, "tests", "targets");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Phoebe.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Phoebe.sln) above the test binaries");
    }
}
