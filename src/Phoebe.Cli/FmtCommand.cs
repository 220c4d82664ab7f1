using System.CommandLine;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Formatting;
using Phoebe.Lang.Syntax;

namespace Phoebe.Cli;

/// <summary><c>phoebe fmt [--check] [--stdout] FILE...</c></summary>
internal static class FmtCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILE") { Arity = ArgumentArity.OneOrMore, Description = ".phb files to format in place" };
        var check = new Option<bool>("--check") { Description = "Change nothing; exit 1 and list the files that are not formatted" };
        var toStdout = new Option<bool>("--stdout") { Description = "Print the formatted text instead of rewriting the files" };
        var command = new Command("fmt", "Rewrite rule files in Phoebe's canonical layout (comments are kept).\n" +
            "Exit code: 0 done (or already formatted), 1 syntax errors or (--check) unformatted files, 2 usage or I/O error.")
        {
            files, check, toStdout,
        };
        command.SetAction(parse => Run(parse.GetValue(files)!, parse.GetValue(check), parse.GetValue(toStdout), stdout, stderr));
        return command;
    }

    private static int Run(string[] paths, bool check, bool toStdout, TextWriter stdout, TextWriter stderr)
    {
        int exit = ExitCodes.Ok;
        foreach (var path in paths)
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"phoebe: cannot read {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
                exit = ExitCodes.Usage;
                continue;
            }
            var parsed = PhbParser.Parse(new SourceText(path, text));
            if (parsed.HasErrors)
            {
                foreach (var d in parsed.Diagnostics) stderr.Write(DiagnosticRenderer.Render(d));
                stderr.WriteLine($"phoebe: not formatting {path}: fix its syntax errors first");
                exit = Math.Max(exit, ExitCodes.Errors);
                continue;
            }
            string formatted = Formatter.Format(parsed.File);
            if (toStdout)
            {
                stdout.Write(formatted);
            }
            else if (formatted != text)
            {
                if (check)
                {
                    stdout.WriteLine($"{path}: not formatted");
                    exit = Math.Max(exit, ExitCodes.Errors);
                }
                else
                {
                    try
                    {
                        File.WriteAllText(path, formatted);
                        stderr.WriteLine($"formatted {path}");
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        stderr.WriteLine($"phoebe: cannot write {path}: {e.Message}");
                        exit = ExitCodes.Usage;
                    }
                }
            }
        }
        return exit;
    }
}
