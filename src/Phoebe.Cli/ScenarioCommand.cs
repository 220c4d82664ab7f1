using System.CommandLine;
using Phoebe.Lang.Diagnostics;
using Phoebe.Runtime.Scenarios;
using Phoebe.Runtime.Synthesis;

namespace Phoebe.Cli;

/// <summary><c>phoebe scenario validate FILE...</c>: checks chaos scenarios and everything they reference (docs/scenarios.md).</summary>
internal static class ScenarioCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var files = new Argument<string[]>("FILES") { Arity = ArgumentArity.OneOrMore, Description = "Scenario files (YAML)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only diagnostics" };
        var validate = new Command("validate", "Check scenarios: their fields, the .phb files and profile they reference, and every rule and check name.\n" +
            "Exit code: 0 when every scenario is valid (warnings allowed), 1 on errors, 2 when a file cannot be read.")
        {
            files, quiet,
        };
        validate.SetAction(parse => Validate(parse.GetValue(files)!, parse.GetValue(quiet), stdout, stderr));
        return new Command("scenario", "Work with chaos scenarios (docs/scenarios.md); `phoebe experiment FILE` runs one") { validate };
    }

    private static int Validate(string[] paths, bool quiet, TextWriter stdout, TextWriter stderr)
    {
        int worst = ExitCodes.Ok;
        foreach (var path in paths)
        {
            var read = Read(path, stderr);
            if (read is null)
            {
                worst = ExitCodes.Usage;
                continue;
            }
            foreach (var d in read.Diagnostics) stderr.Write(DiagnosticRenderer.Render(d));
            if (read.Scenario is not { } scenario)
            {
                int errors = read.Diagnostics.Count(d => d.Severity == Severity.Error);
                stderr.WriteLine($"{path}: {errors} error{(errors == 1 ? "" : "s")}");
                worst = Math.Max(worst, ExitCodes.Errors);
                continue;
            }
            if (!quiet) stdout.Write(Describe(path, scenario));
        }
        return worst;
    }

    /// <summary>Reads a scenario, or says on stderr why the file cannot be read and returns null.</summary>
    internal static ScenarioReadResult? Read(string path, TextWriter stderr)
    {
        if (Directory.Exists(path))
        {
            stderr.WriteLine($"phoebe: cannot read {path}: is a directory (pass a scenario, e.g. scenario.yaml)");
            return null;
        }
        try
        {
            return ScenarioReader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot read {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
            return null;
        }
    }

    /// <summary>What a valid scenario will do, in a few lines.</summary>
    internal static string Describe(string path, Scenario s)
    {
        var text = new System.Text.StringBuilder();
        string D(TimeSpan t) => t == TimeSpan.Zero ? "0s" : Lang.Semantics.Value.FormatDuration(t.Ticks * 100);
        text.AppendLine($"{path}: ok: scenario `{s.Name}`");
        static string Words(IEnumerable<string> words) => string.Join(' ', words.Select(w => w.Length == 0 || w.Any(char.IsWhiteSpace) ? $"'{w}'" : w));
        text.AppendLine($"  target      {Words(s.Target.Command)}" + (s.Target.Build is { } b ? $" (built by `{Words(b)}`)" : ""));
        var ready = new List<string>();
        if (s.Target.Ready.Tcp is { } tcp) ready.Add($"tcp {tcp}");
        if (s.Target.Ready.Check is { } check) ready.Add($"check {check}");
        if (s.Target.Ready.Delay is { } delay) ready.Add($"after {D(delay)}");
        text.AppendLine($"  ready       {(ready.Count == 0 ? "at once" : string.Join(", ", ready))} (within {D(s.Target.Ready.Timeout)}); restart {s.Target.Restart switch { RestartPolicy.Never => "never", RestartPolicy.Always => "before every experiment", _ => "after a crash or corruption" }}");
        text.AppendLine($"  checks      {(s.Checks.Count == 0 ? "none" : string.Join(", ", s.Checks.Keys))}");
        text.AppendLine($"  steady      {D(s.SteadyState.Duration)}, tolerance {s.Tolerance:0.###}");
        if (s.Observe is { } observe) text.AppendLine($"  observe     {D(observe.Duration)} every {D(observe.Interval)}, then synthesize");
        else if (s.Profile is { } profile) text.AppendLine($"  profile     {profile.Target}: {profile.Errors.Count} kind{(profile.Errors.Count == 1 ? "" : "s")} of error");
        foreach (var e in s.Experiments)
        {
            text.AppendLine($"  experiment  {e.Name}: {string.Join(", ", e.Rules.Select(r => r.Name))} for {D(e.Duration)}, cooldown {D(e.Cooldown)}");
        }
        if (s.Synthesize)
        {
            text.AppendLine($"  synthesize  one experiment per model, {D(s.SynthesizedDuration)} each" + (s.RandomBaseline ? ", each with a random-errno baseline" : "") +
                $", injecting {s.SynthesisPhase switch { SynthesisPhase.Entry => "at ENTRY", SynthesisPhase.Auto => "at ENTRY where a call moves data or makes a resource, else at EXIT", _ => "at EXIT into successful calls" }}");
        }
        text.AppendLine($"  inspect     {D(s.PostInspection.Duration)} after each experiment");
        text.AppendLine($"  report      {string.Join(", ", s.Report.Formats)}; fails when a verdict is worse than {s.Report.Allow.ToString().ToLowerInvariant()}");
        return text.ToString();
    }
}
