using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Phoebe.Lang.Diagnostics;
using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Cli;

/// <summary><c>phoebe experiment SCENARIO.yaml [--out DIR] [--seed N] [-q]</c>: runs a chaos campaign and writes its reports.</summary>
internal static class ExperimentCommand
{
    /// <summary>Exit code when some verdict is worse than the scenario allows.</summary>
    public const int VerdictWorseThanAllowed = 1;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("SCENARIO") { Description = "The scenario (YAML, docs/scenarios.md)" };
        var output = new Option<string?>("--out", "-o") { HelpName = "DIR", Description = "Where report.md, report.json, report.html and the logs go (default: phoebe-report/SCENARIO-DATE-TIME)" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of chance() and of the random baselines (default: random, in the report)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress on stderr; only errors and the verdict table" };
        var command = new Command("experiment", "Run a chaos scenario: start the target, measure its steady state with the health checks, run each experiment\n" +
            "(enable its rules, check, disable, inspect), judge it (resilient, degraded, crashed, corrupted), and write the reports.\n" +
            "Ctrl-C stops the campaign, stops the target and still writes what was measured.\n" +
            "Exit code: 0 when every verdict is within `report.allow`; 1 when one is worse (or the scenario has errors); 125 when the target\n" +
            "cannot be built, started or made ready; 130 when interrupted; 2 for usage errors.")
        {
            file, output, seed, quiet,
        };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(output), parse.GetValue(seed), parse.GetValue(quiet), stdout, stderr));
        return command;
    }

    private static int Run(string path, string? output, ulong? seed, bool quiet, TextWriter stdout, TextWriter stderr)
    {
        var read = ScenarioCommand.Read(path, stderr);
        if (read is null) return ExitCodes.Usage;
        foreach (var d in read.Diagnostics)
        {
            if (d.Severity == Severity.Error || !quiet) stderr.Write(DiagnosticRenderer.Render(d));
        }
        if (read.Scenario is not { } scenario)
        {
            int errors = read.Diagnostics.Count(d => d.Severity == Severity.Error);
            stderr.WriteLine($"{path}: {errors} error{(errors == 1 ? "" : "s")}: nothing was run (`phoebe scenario validate` checks a scenario)");
            return ExitCodes.Errors;
        }
        string directory = output ?? Path.Combine("phoebe-report", $"{scenario.Name}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        if (File.Exists(directory))
        {
            stderr.WriteLine($"phoebe: --out {directory} is a file, not a directory");
            return ExitCodes.Usage;
        }
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot create {directory}: {e.Message}");
            return ExitCodes.Usage;
        }

        using var interrupt = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (!interrupt.IsCancellationRequested) stderr.WriteLine("phoebe: stopping: the current phase ends, the target is stopped, and the reports are written");
            interrupt.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        ulong actualSeed = seed ?? (ulong)Random.Shared.NextInt64();
        var options = new CampaignOptions
        {
            Phoebe = SelfCommand(),
            OutputDirectory = Path.GetFullPath(directory),
            Seed = actualSeed,
            Progress = quiet ? null : stderr,
            Cancellation = interrupt.Token,
        };
        CampaignReport report;
        try
        {
            report = Campaign.Run(scenario, options);
        }
        catch (ExperimentException e)
        {
            stderr.WriteLine($"phoebe: {e.Message}");
            stderr.WriteLine($"phoebe: logs are in {directory}");
            return RunCommand.PhoebeFailed;
        }
        IReadOnlyList<string> written;
        try
        {
            written = ReportWriter.Write(report, directory, scenario.Report.Formats);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot write the reports into {directory}: {e.Message}");
            return RunCommand.PhoebeFailed;
        }
        stdout.Write(Table(report));
        stdout.WriteLine($"reports: {string.Join(", ", written)}");
        stdout.Flush();
        if (report.Interrupted) return 130;
        if (report.Failed)
        {
            stderr.WriteLine($"phoebe: {report.Worst.ToString().ToLowerInvariant()} is worse than the scenario allows ({report.Allow.ToString().ToLowerInvariant()})");
            return VerdictWorseThanAllowed;
        }
        return ExitCodes.Ok;
    }

    /// <summary>How to run this very CLI again (for the injector): the apphost, or the dotnet host and phoebe.dll.</summary>
    internal static IReadOnlyList<string> SelfCommand()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which program runs Phoebe");
        string dll = Path.Combine(AppContext.BaseDirectory, "phoebe.dll");
        return Path.GetFileNameWithoutExtension(host) == "dotnet" && File.Exists(dll) ? [host, dll] : [host];
    }

    /// <summary>One line per experiment: the verdict table printed at the end.</summary>
    private static string Table(CampaignReport report)
    {
        var rows = new List<string[]> { new[] { "experiment", "syscall", "errno", "injections", "verdict", "why" } };
        foreach (var e in report.Experiments)
        {
            rows.Add([e.Name, e.Syscall, e.Errno, e.Injections.ToString(CultureInfo.InvariantCulture), e.Verdict.ToString().ToLowerInvariant(), e.Why]);
        }
        foreach (var s in report.Skipped) rows.Add([s.Name, "", "", "", "not run", s.Reason]);
        var widths = Enumerable.Range(0, 5).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            for (int i = 0; i < 5; i++) text.Append(row[i].PadRight(widths[i] + 2));
            text.Append(row[5]).Append('\n');
        }
        return text.ToString();
    }
}
