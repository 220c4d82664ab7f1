using System.Runtime.CompilerServices;
using Phoebe.Runtime;

namespace Phoebe.Cli;

/// <summary>
/// The Native AOT build of <c>phoebe</c> starts in milliseconds but cannot run C# health checks (Roslyn
/// compiles them at run time, for a JIT). Commands that need them are handed to the managed build, in the
/// same process (exec): <c>experiment</c>, <c>scenario</c> and <c>doctor</c> at once, <c>check</c> when a
/// file turns out to have HEALTH blocks. The managed build is <c>$PHOEBE_MANAGED_DLL</c>, else
/// <c>managed/phoebe.dll</c> next to the native executable.
/// </summary>
internal static class ManagedHandOff
{
    private static readonly string[] AlwaysManaged = ["experiment", "scenario", "doctor"];

    /// <summary>True in the Native AOT build (a constant there).</summary>
    public static bool IsNative => !RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>The command line as <c>Main</c> received it, for the hand-off.</summary>
    public static string[] Arguments { get; set; } = [];

    /// <summary>Whether <paramref name="args"/> must run on the managed build from the start.</summary>
    public static bool NeededFor(string[] args) => IsNative && args.Length > 0 && AlwaysManaged.Contains(args[0]);

    /// <summary>Becomes the managed build run with <see cref="Arguments"/>; returns only on failure, with the exit code.</summary>
    public static int Exec(TextWriter stderr)
    {
        string dll = Environment.GetEnvironmentVariable("PHOEBE_MANAGED_DLL") is { Length: > 0 } set
            ? set
            : Path.Combine(AppContext.BaseDirectory, "managed", "phoebe.dll");
        if (!File.Exists(dll))
        {
            stderr.WriteLine($"phoebe: this needs the managed build of Phoebe (C# health checks run on the .NET JIT), which is not at {dll}; " +
                "build it (dotnet build src/Phoebe.Cli -c Release) and set PHOEBE_MANAGED_DLL to its phoebe.dll");
            return ExitCodes.Usage;
        }
        string? dotnet = FindDotnet();
        if (dotnet is null)
        {
            stderr.WriteLine("phoebe: this needs the .NET runtime (dotnet) for C# health checks: install the .NET 10 runtime or SDK");
            return ExitCodes.Usage;
        }
        string error = ProcessImage.Replace(dotnet, [dotnet, dll, .. Arguments]);
        stderr.WriteLine($"phoebe: cannot run {dotnet}: {error}");
        return ExitCodes.Usage;
    }

    private static string? FindDotnet()
    {
        foreach (var root in new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT"), "/usr/share/dotnet", "/usr/lib/dotnet" })
        {
            if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "dotnet"))
            .FirstOrDefault(File.Exists);
    }
}
