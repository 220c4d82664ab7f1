using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Synthesis;

namespace Phoebe.Runtime.Tests.Synthesis;

/// <summary>Algorithm 1: each case, its exact boundaries, and rules that check.</summary>
public class ErrorModelSynthesizerTests
{
    private static readonly SynthesisParameters Defaults = SynthesisParameters.Default;

    [Fact]
    public void Defaults_are_the_papers_values()
    {
        Assert.Equal(new SynthesisParameters(0.05, 0.05, 0.001, 1.2), Defaults);
        Assert.Empty(Defaults.Validate());
    }

    [Fact]
    public void Sporadic_when_max_is_below_the_threshold_rate_is_v()
    {
        Assert.Equal((ErrorModelCase.Sporadic, 0.05), ErrorModelSynthesizer.Classify(0.01, 0.2));
        Assert.Equal((ErrorModelCase.Sporadic, 0.05), ErrorModelSynthesizer.Classify(0, 0));
        // The sporadic test comes first: a large variance does not make it fluctuating.
        Assert.Equal((ErrorModelCase.Sporadic, 0.05), ErrorModelSynthesizer.Classify(0.049999, 0.01));
        Assert.Equal((ErrorModelCase.Sporadic, 0.3), ErrorModelSynthesizer.Classify(0.01, 0, Defaults with { SporadicRate = 0.3 }));
    }

    [Fact]
    public void Max_equal_to_the_threshold_is_not_sporadic()
    {
        Assert.Equal(ErrorModelCase.Steady, ErrorModelSynthesizer.Classify(0.05, 0).Case);
        Assert.Equal(ErrorModelCase.Fluctuating, ErrorModelSynthesizer.Classify(0.05, 0.002).Case);
        Assert.Equal(0.05 * 1.2, ErrorModelSynthesizer.Classify(0.05, 0).Rate);
        Assert.Equal(ErrorModelCase.Sporadic, ErrorModelSynthesizer.Classify(Math.BitDecrement(0.05), 0).Case);
    }

    [Fact]
    public void Fluctuating_when_variance_is_above_the_threshold_rate_is_max()
    {
        Assert.Equal((ErrorModelCase.Fluctuating, 0.3391), ErrorModelSynthesizer.Classify(0.3391, 0.0046));
        Assert.Equal((ErrorModelCase.Fluctuating, 1.0), ErrorModelSynthesizer.Classify(1, 0.25));
        Assert.Equal(ErrorModelCase.Fluctuating, ErrorModelSynthesizer.Classify(0.2, Math.BitIncrement(0.001)).Case);
    }

    [Fact]
    public void Variance_equal_to_the_threshold_is_not_fluctuating()
    {
        Assert.Equal((ErrorModelCase.Steady, 0.2 * 1.2), ErrorModelSynthesizer.Classify(0.2, 0.001));
    }

    [Fact]
    public void Steady_rate_is_max_times_f()
    {
        Assert.Equal((ErrorModelCase.Steady, 0.49017 * 1.2), ErrorModelSynthesizer.Classify(0.49017, 0.000001));
        Assert.Equal((ErrorModelCase.Steady, 0.5), ErrorModelSynthesizer.Classify(0.25, 0, Defaults with { Amplification = 2 }));
    }

    [Fact]
    public void Steady_rate_is_clamped_at_one()
    {
        Assert.Equal((ErrorModelCase.Steady, 1.0), ErrorModelSynthesizer.Classify(0.9, 0));
        Assert.Equal((ErrorModelCase.Steady, 1.0), ErrorModelSynthesizer.Classify(1, 0));
        // Exactly at the clamp: 0.8 * 1.25 == 1.
        Assert.Equal((ErrorModelCase.Steady, 1.0), ErrorModelSynthesizer.Classify(0.8, 0, Defaults with { Amplification = 1.25 }));
        Assert.Equal(0.5 * 1.2, ErrorModelSynthesizer.Classify(0.5, 0).Rate);
    }

    [Fact]
    public void Parameters_move_the_boundaries()
    {
        var p = new SynthesisParameters(SporadicThreshold: 0.5, SporadicRate: 0.1, VarianceThreshold: 0.01, Amplification: 1.5);
        Assert.Equal((ErrorModelCase.Sporadic, 0.1), ErrorModelSynthesizer.Classify(0.4, 0.02, p));
        Assert.Equal((ErrorModelCase.Fluctuating, 0.6), ErrorModelSynthesizer.Classify(0.6, 0.02, p));
        Assert.Equal((ErrorModelCase.Steady, 0.6 * 1.5), ErrorModelSynthesizer.Classify(0.6, 0.01, p));
    }

    [Fact]
    public void Invalid_parameters_are_reported_by_option()
    {
        var problems = new SynthesisParameters(-0.1, 2, -1, double.NaN).Validate();
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("--sporadic-threshold", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--sporadic-rate", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--variance-threshold", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("--amplification", StringComparison.Ordinal));
    }

    [Fact]
    public void Series_wins_over_the_rate_summary()
    {
        // The summary claims steady; the series is sporadic (p95 = 0.0097 < 0.05).
        var error = new ErrorObservation("read", "EAGAIN", 3, new RateSummary(0.5, 0.5, 0.5, 0), [0.0, 0.01, 0.0, 0.0]);
        var model = ErrorModelSynthesizer.Synthesize(error);
        Assert.True(model.FromSeries);
        Assert.Equal(ErrorModelCase.Sporadic, model.Case);
        Assert.Equal(RateStatistics.Percentile([0.0, 0.01, 0.0, 0.0], 95), model.Observed.Max);
        Assert.Equal(0.0025, model.Observed.Mean, 15);
        Assert.Equal(3, model.Observed.Count);
    }

    [Fact]
    public void Summary_is_used_when_there_is_no_series()
    {
        var error = new ErrorObservation("futex", "ETIMEDOUT", 73100000, new RateSummary(0.48304, 0.48879, 0.49017, 0.000001), null);
        var model = ErrorModelSynthesizer.Synthesize(error);
        Assert.False(model.FromSeries);
        Assert.Equal(new ObservedRates(0.48304, 0.48879, 0.49017, 0.000001, 73100000), model.Observed);
        Assert.Equal(ErrorModelCase.Steady, model.Case);
        Assert.Equal(0.49017 * 1.2, model.Rate);
    }

    [Fact]
    public void Float_literals_read_back_exactly()
    {
        Assert.Equal("0.05", ErrorModelRuleWriter.FloatLiteral(0.05));
        Assert.Equal("1.0", ErrorModelRuleWriter.FloatLiteral(1));
        Assert.Equal("0.0", ErrorModelRuleWriter.FloatLiteral(0));
        Assert.Equal("1e-07", ErrorModelRuleWriter.FloatLiteral(1e-7));
        Assert.Equal("0.588204", ErrorModelRuleWriter.FloatLiteral(0.49017 * 1.2));
        double third = 1.0 / 3;
        Assert.Equal(third, double.Parse(ErrorModelRuleWriter.FloatLiteral(third), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Rule_names_are_unique_identifiers()
    {
        var taken = new HashSet<string>();
        var model = new ErrorModel("futex", "ETIMEDOUT", ErrorModelCase.Steady, 0.5, new ObservedRates(0, 0, 0, 0, 0), false);
        Assert.Equal("futex_etimedout", ErrorModelRuleWriter.UniqueName(model, taken));
        Assert.Equal("futex_etimedout_2", ErrorModelRuleWriter.UniqueName(model, taken));
        Assert.Equal("_llseek_eagain", ErrorModelRuleWriter.UniqueName(model with { Syscall = "_llseek", Errno = "EAGAIN" }, taken));
    }

    public static TheoryData<double> Rates() => new() { 0.05, 1.0, 0.0001, 1e-9, 0.588204, 1.0 / 3, 0.9999999999999999 };

    [Theory]
    [MemberData(nameof(Rates))]
    public void Synthesized_rules_compile_with_the_exact_rate(double rate)
    {
        var model = new ErrorModel("futex", "ETIMEDOUT", ErrorModelCase.Fluctuating, rate, new ObservedRates(0.1, 0.2, rate, 0.01, 5), false);
        string phb = ErrorModelRuleWriter.ToPhb([model], Defaults);
        var result = PhoebeCompiler.Compile(new SourceText("models.phb", phb));
        Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        var rule = Assert.Single(result.Plan!.Rules);
        Assert.Contains($"chance({ErrorModelRuleWriter.FloatLiteral(rate)})", phb);
        Assert.Equal("futex_etimedout", rule.Name);
    }

    [Fact]
    public void Rules_for_every_case_check_without_diagnostics()
    {
        var profile = ProfileReader.Read(new SourceText("p.yaml", """
            version: 1
            target: t
            interval: 1s
            intervals: 100
            syscalls:
              - { name: read, calls: 1000 }
              - { name: openat, calls: 1000 }
              - { name: connect, calls: 1000 }
            errors:
              - { syscall: read, errno: EAGAIN, count: 10, rate: { min: 0, mean: 0.01, max: 0.02, var: 0 } }
              - { syscall: openat, errno: ENOENT, count: 300, rate: { min: 0.1, mean: 0.3, max: 0.5, var: 0.01 } }
              - { syscall: connect, errno: ECONNREFUSED, count: 900, rate: { min: 0.89, mean: 0.9, max: 0.91, var: 0.0001 } }
            """));
        Assert.False(profile.HasErrors, string.Concat(profile.Diagnostics.Select(DiagnosticRenderer.Render)));
        var models = ErrorModelSynthesizer.Synthesize(profile.Profile!);
        Assert.Equal([ErrorModelCase.Sporadic, ErrorModelCase.Fluctuating, ErrorModelCase.Steady], models.Select(m => m.Case));
        Assert.Equal([0.05, 0.5, 1.0], models.Select(m => m.Rate));
        string phb = ErrorModelRuleWriter.ToPhb(models, Defaults, profile.Profile, "p.yaml");
        var result = PhoebeCompiler.Compile(new SourceText("models.phb", phb));
        Assert.Empty(result.Diagnostics.Select(DiagnosticRenderer.Render));
        Assert.Equal(["read_eagain", "openat_enoent", "connect_econnrefused"], result.Plan!.Rules.Select(r => r.Name));
        Assert.Contains("# read EAGAIN: sporadic: max 0.02 < b = 0.05", phb);
        Assert.Contains("# openat ENOENT: fluctuating: max 0.5 >= b = 0.05 and var 0.01 > t = 0.001", phb);
        Assert.Contains("#   rate = min(1, max * f) = min(1, 0.91 * 1.2) = 1", phb);
        Assert.Contains("RULE connect_econnrefused ON connect EXIT IF retval >= 0 && chance(1.0) DO return ECONNREFUSED", phb);
    }

    [Fact]
    public void A_profile_without_errors_gives_a_file_without_rules_that_checks()
    {
        string phb = ErrorModelRuleWriter.ToPhb([], Defaults);
        var result = PhoebeCompiler.Compile(new SourceText("models.phb", phb));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.Plan!.Rules);
    }
}
