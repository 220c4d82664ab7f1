using System.CommandLine;
using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Runtime.Health;

namespace Phoebe.Cli;

/// <summary><c>phoebe check [--explain] [--format text|json] FILE...</c></summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = ".phb rule files to check" };
        var explain = new Option<bool>("--explain") { Description = "Print the compiled plan of every rule: syscalls, phase, filter, control condition, actions, backend" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("check", "Parse and check rule files, compile their HEALTH blocks' C#; report every problem with file:line:col.\n" +
            "Exit code: 0 no errors (warnings allowed), 1 errors, 2 usage or unreadable file.")
        {
            files, explain, format,
        };
        command.SetAction(parse => Run(parse.GetValue(files)!, parse.GetValue(explain), parse.GetValue(format) == "json", stdout, stderr));
        return command;
    }

    private static int Run(string[] paths, bool explain, bool json, TextWriter stdout, TextWriter stderr)
    {
        var results = new List<(string Path, CompilationResult? Result, string? IoError)>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                results.Add((path, null, "is a directory (pass .phb files, e.g. dir/*.phb)"));
                continue;
            }
            if (!File.Exists(path))
            {
                results.Add((path, null, "no such file"));
                continue;
            }
            // The language's passes, then the C# of HEALTH blocks (Roslyn loads only for files that have some).
            CompilationResult result;
            try
            {
                result = HealthPass.Run(PhoebeCompiler.CompileFile(path)).Result;
            }
            catch (ManagedRuntimeRequiredException)
            {
                // Nothing printed yet: the managed build checks every file again, the C# included.
                return ManagedHandOff.Exec(stderr);
            }
            results.Add((path, result, result.Root is null ? result.Diagnostics.FirstOrDefault()?.Message : null));
        }

        bool ioError = results.Any(r => r.IoError != null);
        bool errors = results.Any(r => r.Result?.HasErrors == true);
        if (json)
        {
            JsonReport.Write(stdout, results, explain);
        }
        else
        {
            int errorCount = 0, warningCount = 0;
            foreach (var (path, result, io) in results)
            {
                if (io != null)
                {
                    stderr.WriteLine($"phoebe: cannot read {path}: {io}");
                    continue;
                }
                foreach (var d in result!.Diagnostics)
                {
                    stderr.Write(DiagnosticRenderer.Render(d));
                    if (d.Severity == Severity.Error) errorCount++;
                    if (d.Severity == Severity.Warning) warningCount++;
                }
                if (explain && result.Plan is { } plan)
                {
                    if (results.Count > 1) stdout.WriteLine($"== {path}\n");
                    stdout.Write(PlanExplainer.Explain(plan));
                }
            }
            int ok = results.Count(r => r.Result is { HasErrors: false } && r.IoError is null);
            stderr.WriteLine($"checked {results.Count} file{(results.Count == 1 ? "" : "s")}: " +
                $"{ok} ok, {errorCount} error{(errorCount == 1 ? "" : "s")}, {warningCount} warning{(warningCount == 1 ? "" : "s")}");
        }
        return ioError ? ExitCodes.Usage : errors ? ExitCodes.Errors : ExitCodes.Ok;
    }
}
