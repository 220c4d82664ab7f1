using Phoebe.Cli;

namespace Phoebe.Lang.Tests.Cli;

/// <summary>Runs the real CLI entry point in-process and captures its output.</summary>
internal static class CliRunner
{
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = PhoebeCli.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
