using System.CommandLine;
using System.CommandLine.Parsing;

namespace Phoebe.Cli;

/// <summary>Exit codes shared by all commands.</summary>
public static class ExitCodes
{
    /// <summary>Success (warnings allowed).</summary>
    public const int Ok = 0;
    /// <summary>The input has errors (or, for <c>fmt --check</c>, is not formatted).</summary>
    public const int Errors = 1;
    /// <summary>Usage or I/O problem: bad arguments, missing file.</summary>
    public const int Usage = 2;
}

/// <summary>The <c>phoebe</c> command line: wires the language and the runtime, owns all terminal output.</summary>
public static class PhoebeCli
{
    /// <summary>Runs the CLI with the given arguments and writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Phoebe: realistic system-call fault injection.\n\n" +
            "Write rules in .phb files, check them, and inject them into programs.\n" +
            "Language reference: docs/language.md");
        root.Subcommands.Add(CheckCommand.Create(stdout, stderr));
        root.Subcommands.Add(FmtCommand.Create(stdout, stderr));
        root.Subcommands.Add(SynthesizeCommand.Create(stdout, stderr));
        root.Subcommands.Add(ScenarioCommand.Create(stdout, stderr));
        root.Subcommands.Add(ExperimentCommand.Create(stdout, stderr));
        root.Subcommands.Add(DoctorCommand.Create(stdout, stderr));

        // Everything after `--` is the target command of `run` or `observe`, never Phoebe's options.
        string[] target = [];
        int separator = Array.IndexOf(args, "--");
        if (separator >= 0 && args.Length > 0 && args[0] is "run" or "observe")
        {
            target = args[(separator + 1)..];
            args = args[..separator];
        }
        root.Subcommands.Add(RunCommand.Create(stdout, stderr, () => target));
        root.Subcommands.Add(AttachCommand.Create(stdout, stderr));
        root.Subcommands.Add(ObserveCommand.Create(stdout, stderr, () => target));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) stderr.WriteLine($"phoebe: {error.Message}");
            string command = parse.CommandResult.Command is RootCommand ? "phoebe" : $"phoebe {parse.CommandResult.Command.Name}";
            stderr.WriteLine($"Run '{command} --help' for usage.");
            return ExitCodes.Usage;
        }
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = true };
        return parse.Invoke(config);
    }
}
