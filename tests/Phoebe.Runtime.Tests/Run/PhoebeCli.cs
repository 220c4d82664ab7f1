namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// Runs the real <c>phoebe</c> CLI as a separate process (<c>dotnet phoebe.dll ...</c>):
/// injection needs a process of its own (it traces its children, handles signals,
/// and its exit code is the target's). The test project references Phoebe.Cli,
/// so phoebe.dll and its runtimeconfig/deps files sit next to the test assembly.
/// </summary>
public static class PhoebeCli
{
    /// <summary>phoebe.dll next to the test assembly.</summary>
    public static string Dll { get; } = FindDll();

    /// <summary>The dotnet host that runs the tests, to run phoebe.dll with the same runtime.</summary>
    public static string DotnetHost { get; } = FindHost();

    /// <summary>The process that runs <c>phoebe ARGS</c>.</summary>
    public static ProcessSpec Spec(IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new(DotnetHost, [Dll, .. args], workingDirectory, environment);

    /// <summary>Runs <c>phoebe ARGS</c> to its end (killing its process tree and failing after <paramref name="timeout"/>).</summary>
    public static ProcessResult Run(IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        RunningProcess.Run(Spec(args, workingDirectory, environment), timeout);

    /// <summary>Starts <c>phoebe ARGS</c> and returns at once.</summary>
    public static RunningProcess Start(IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null) =>
        RunningProcess.Start(Spec(args, workingDirectory, environment));

    /// <summary>
    /// <c>phoebe run [-q] -e RULE... -- COMMAND...</c>: the usual shape of a test,
    /// which wants the target's output and exit code and nothing of Phoebe's.
    /// </summary>
    public static ProcessResult RunTarget(IEnumerable<string> rules, IEnumerable<string> command, bool quiet = true,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        Run(RunArgs(rules, command, quiet), workingDirectory, environment, timeout);

    /// <summary>The arguments of <c>phoebe run [-q] -e RULE... -- COMMAND...</c>.</summary>
    public static IEnumerable<string> RunArgs(IEnumerable<string> rules, IEnumerable<string> command, bool quiet = true)
    {
        yield return "run";
        if (quiet) yield return "-q";
        foreach (var rule in rules)
        {
            yield return "-e";
            yield return rule;
        }
        yield return "--";
        foreach (var arg in command) yield return arg;
    }

    private static string FindDll()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "phoebe.dll");
        string config = Path.Combine(AppContext.BaseDirectory, "phoebe.runtimeconfig.json");
        if (!File.Exists(dll) || !File.Exists(config))
        {
            throw new InvalidOperationException($"phoebe.dll and phoebe.runtimeconfig.json must be next to the test assembly ({AppContext.BaseDirectory}): " +
                "does the test project reference src/Phoebe.Cli/Phoebe.Cli.csproj?");
        }
        return dll;
    }

    private static string FindHost()
    {
        // Set by the SDK for `dotnet test`; the test host itself runs under dotnet otherwise.
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? self = Environment.ProcessPath;
        if (self != null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return HostTools.Find("dotnet") ?? "dotnet";
    }
}
