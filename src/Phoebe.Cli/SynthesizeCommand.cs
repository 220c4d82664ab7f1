using System.CommandLine;
using Phoebe.Lang.Diagnostics;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Synthesis;

namespace Phoebe.Cli;

/// <summary>
/// <c>phoebe synthesize PROFILE.yaml [-o MODELS.phb] [--format phb|json] [--sporadic-threshold B]
/// [--sporadic-rate V] [--variance-threshold T] [--amplification F] [--phase exit|entry|auto]</c>
/// </summary>
internal static class SynthesizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var defaults = SynthesisParameters.Default;
        var profile = new Argument<string>("PROFILE") { Description = "The profile to synthesize from (YAML, docs/profile.md)" };
        var output = new Option<string?>("--output", "-o") { HelpName = "FILE", Description = "Write the models to this file (default: stdout)" };
        var format = new Option<string>("--format") { Description = "phb: one commented rule per model; json: a list of models", DefaultValueFactory = _ => "phb" };
        format.AcceptOnlyFromAmong("phb", "json");
        var sporadicThreshold = new Option<double>("--sporadic-threshold") { HelpName = "B", Description = "b: an error whose 95th-percentile rate is below this is sporadic", DefaultValueFactory = _ => defaults.SporadicThreshold };
        var sporadicRate = new Option<double>("--sporadic-rate") { HelpName = "V", Description = "v: the injection rate of a sporadic error", DefaultValueFactory = _ => defaults.SporadicRate };
        var varianceThreshold = new Option<double>("--variance-threshold") { HelpName = "T", Description = "t: an error whose rate varies more than this is fluctuating", DefaultValueFactory = _ => defaults.VarianceThreshold };
        var amplification = new Option<double>("--amplification") { HelpName = "F", Description = "f: a steady error is injected at its 95th-percentile rate times this (at most 1)", DefaultValueFactory = _ => defaults.Amplification };
        var phase = new Option<string>("--phase")
        {
            Description = "When the rules inject: exit (into naturally successful calls, the paper's way), entry (before the call runs), " +
                "or auto (entry for syscalls whose success moves data or makes a resource, exit for the others; docs/profile.md)",
            DefaultValueFactory = _ => "exit",
        };
        phase.AcceptOnlyFromAmong("exit", "entry", "auto");
        var command = new Command("synthesize", "Synthesize realistic error models from an observed profile (Algorithm 1, docs/profile.md).\n" +
            "Exit code: 0 models written, 1 the profile has errors, 2 usage or unreadable file.")
        {
            profile, output, format, sporadicThreshold, sporadicRate, varianceThreshold, amplification, phase,
        };
        command.SetAction(parse => Run(
            parse.GetValue(profile)!,
            parse.GetValue(output),
            parse.GetValue(format) == "json",
            new SynthesisParameters(parse.GetValue(sporadicThreshold), parse.GetValue(sporadicRate), parse.GetValue(varianceThreshold), parse.GetValue(amplification)),
            Enum.Parse<SynthesisPhase>(parse.GetValue(phase)!, ignoreCase: true),
            stdout, stderr));
        return command;
    }

    private static int Run(string path, string? output, bool json, SynthesisParameters parameters, SynthesisPhase phase, TextWriter stdout, TextWriter stderr)
    {
        var problems = parameters.Validate();
        if (problems.Count > 0)
        {
            foreach (var problem in problems) stderr.WriteLine($"phoebe: {problem}");
            return ExitCodes.Usage;
        }
        if (Directory.Exists(path))
        {
            stderr.WriteLine($"phoebe: cannot read {path}: is a directory (pass a profile, e.g. profile.yaml)");
            return ExitCodes.Usage;
        }
        ProfileReadResult read;
        try
        {
            read = ProfileReader.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot read {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message)}");
            return ExitCodes.Usage;
        }
        foreach (var d in read.Diagnostics) stderr.Write(DiagnosticRenderer.Render(d));
        if (read.Profile is not { } profileData)
        {
            int errors = read.Diagnostics.Count(d => d.Severity == Severity.Error);
            stderr.WriteLine($"{path}: {errors} error{(errors == 1 ? "" : "s")}: no models synthesized");
            return ExitCodes.Errors;
        }

        var models = ErrorModelSynthesizer.Synthesize(profileData, parameters);
        string text = json
            ? ErrorModelJsonWriter.ToJson(models)
            : ErrorModelRuleWriter.ToPhb(models, parameters, profileData, Path.GetFileName(path), phase);
        if (output is null)
        {
            stdout.Write(text);
        }
        else
        {
            try
            {
                File.WriteAllText(output, text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"phoebe: cannot write {output}: {e.Message}");
                return ExitCodes.Usage;
            }
        }
        int Count(ErrorModelCase c) => models.Count(m => m.Case == c);
        stderr.WriteLine($"synthesized {models.Count} model{(models.Count == 1 ? "" : "s")} from {path}: " +
            $"{Count(ErrorModelCase.Sporadic)} sporadic, {Count(ErrorModelCase.Fluctuating)} fluctuating, {Count(ErrorModelCase.Steady)} steady" +
            (output is null ? "" : $"; wrote {output}"));
        return ExitCodes.Ok;
    }
}
