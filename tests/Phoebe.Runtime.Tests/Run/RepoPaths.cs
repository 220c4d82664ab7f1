using System.Runtime.CompilerServices;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>Locates the repository from the test binaries.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/targets: the C sources of the test targets.</summary>
    public static string Targets => Path.Combine(Root, "tests", "targets");

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
