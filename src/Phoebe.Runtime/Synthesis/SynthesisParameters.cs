namespace Phoebe.Runtime.Synthesis;

/// <summary>
/// The parameters of Algorithm 1 (docs/profile.md), with the paper's defaults.
/// </summary>
/// <param name="SporadicThreshold"><c>b</c>: an error whose 95th-percentile rate is below this is sporadic.</param>
/// <param name="SporadicRate"><c>v</c>: the model rate of a sporadic error.</param>
/// <param name="VarianceThreshold"><c>t</c>: an error whose rate varies more than this is fluctuating.</param>
/// <param name="Amplification"><c>f</c>: the factor a steady error's 95th-percentile rate is amplified by.</param>
public sealed record SynthesisParameters(
    double SporadicThreshold = 0.05,
    double SporadicRate = 0.05,
    double VarianceThreshold = 0.001,
    double Amplification = 1.2)
{
    /// <summary>The paper's values: b = 0.05, v = 0.05, t = 0.001, f = 1.2.</summary>
    public static SynthesisParameters Default { get; } = new();

    /// <summary>What is wrong with these parameters, in the CLI's option names; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!(SporadicThreshold is >= 0 and <= 1)) problems.Add($"--sporadic-threshold must be a rate between 0 and 1, not {SporadicThreshold}");
        if (!(SporadicRate is >= 0 and <= 1)) problems.Add($"--sporadic-rate must be a probability between 0 and 1, not {SporadicRate}");
        if (!(VarianceThreshold >= 0 && double.IsFinite(VarianceThreshold))) problems.Add($"--variance-threshold must be a non-negative number, not {VarianceThreshold}");
        if (!(Amplification >= 0 && double.IsFinite(Amplification))) problems.Add($"--amplification must be a non-negative number, not {Amplification}");
        return problems;
    }
}
