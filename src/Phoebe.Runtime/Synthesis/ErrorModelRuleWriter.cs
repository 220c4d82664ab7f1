using System.Globalization;
using System.Text;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Synthesis;

/// <summary>
/// Writes error models as <c>.phb</c> rules: one commented EXIT rule per model that fails
/// only naturally successful calls (<c>retval &gt;= 0</c>), with <c>chance(rate)</c>.
/// </summary>
public static class ErrorModelRuleWriter
{
    /// <summary>
    /// Writes <paramref name="models"/> as rules. <paramref name="profileName"/> (a file name, not a
    /// path, so that generated files carry no machine paths) and <paramref name="profile"/> go into the header.
    /// </summary>
    public static void Write(IReadOnlyList<ErrorModel> models, SynthesisParameters parameters, TextWriter writer, Profile? profile = null, string? profileName = null,
        SynthesisPhase phase = SynthesisPhase.Exit)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("# Error models synthesized by `phoebe synthesize` (Algorithm 1, docs/profile.md).\n");
        if (profile is not null)
        {
            writer.Write($"# Profile: {(profileName is null ? "" : profileName + ", ")}target {profile.Target}, {profile.Intervals} interval{(profile.Intervals == 1 ? "" : "s")} of {ProfileWriter.Duration(profile.Interval)}.\n");
        }
        writer.Write($"# Parameters: sporadic threshold b = {Num(parameters.SporadicThreshold)}, sporadic rate v = {Num(parameters.SporadicRate)}, " +
            $"variance threshold t = {Num(parameters.VarianceThreshold)}, amplification f = {Num(parameters.Amplification)}.\n");
        writer.Write(phase switch
        {
            SynthesisPhase.Exit => "# Each rule fails only calls that succeeded naturally (retval >= 0), with probability = the model rate;\n",
            SynthesisPhase.Entry => "# Each rule fails calls before they run (ENTRY), with probability = the model rate;\n",
            _ => "# Each rule fails calls with probability = the model rate: before they run (ENTRY) when their success moves data or\n" +
                 "# makes a resource, else only calls that succeeded naturally (EXIT, retval >= 0);\n",
        });
        writer.Write("# min and max are the 5th and 95th percentiles of the per-interval error rate.\n");
        if (models.Count == 0) writer.Write("#\n# The profile has no errors: nothing to inject.\n");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            writer.Write('\n');
            writer.Write(Comment(model, parameters));
            var when = SynthesisPhases.For(model.Syscall, phase);
            writer.Write($"RULE {UniqueName(model, names)} ON {model.Syscall} {SynthesisPhases.Condition(when, FloatLiteral(model.Rate))} DO return {model.Errno}\n");
        }
    }

    /// <summary>The rules as text.</summary>
    public static string ToPhb(IReadOnlyList<ErrorModel> models, SynthesisParameters parameters, Profile? profile = null, string? profileName = null,
        SynthesisPhase phase = SynthesisPhase.Exit)
    {
        var writer = new StringWriter();
        Write(models, parameters, writer, profile, profileName, phase);
        return writer.ToString();
    }

    /// <summary>
    /// A <c>.phb</c> float literal that reads back as exactly <paramref name="value"/>: the shortest
    /// round-trip digits, with a lower-case exponent and a <c>.0</c> when there is neither point nor exponent.
    /// </summary>
    public static string FloatLiteral(double value)
    {
        if (!double.IsFinite(value) || value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, "a rate is a finite, non-negative number");
        string text = value.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return text.Contains('.') || text.Contains('e') ? text : text + ".0";
    }

    /// <summary><c>futex_etimedout</c>: the syscall and the errno in lower case, made unique with a numeric suffix.</summary>
    internal static string UniqueName(ErrorModel model, HashSet<string> taken)
    {
        var sb = new StringBuilder();
        foreach (char c in $"{model.Syscall}_{model.Errno}".ToLowerInvariant()) sb.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        if (!char.IsAsciiLetter(sb[0]) && sb[0] != '_') sb.Insert(0, '_');
        string name = sb.ToString();
        for (int i = 2; !taken.Add(name); i++) name = $"{sb}_{i}";
        return name;
    }

    private static string Comment(ErrorModel m, SynthesisParameters p)
    {
        var o = m.Observed;
        string why = m.Case switch
        {
            ErrorModelCase.Sporadic => $"sporadic: max {Num(o.Max)} < b = {Num(p.SporadicThreshold)}",
            ErrorModelCase.Fluctuating => $"fluctuating: max {Num(o.Max)} >= b = {Num(p.SporadicThreshold)} and var {Num(o.Var)} > t = {Num(p.VarianceThreshold)}",
            _ => $"steady: max {Num(o.Max)} >= b = {Num(p.SporadicThreshold)} and var {Num(o.Var)} <= t = {Num(p.VarianceThreshold)}",
        };
        string rate = m.Case switch
        {
            ErrorModelCase.Sporadic => $"rate = v = {Num(m.Rate)}",
            ErrorModelCase.Fluctuating => $"rate = max = {Num(m.Rate)}",
            _ => $"rate = min(1, max * f) = min(1, {Num(o.Max)} * {Num(p.Amplification)}) = {Num(m.Rate)}",
        };
        return $"# {m.Syscall} {m.Errno}: {why}\n" +
            $"#   observed{(m.FromSeries ? " (from the series)" : "")}: count {o.Count}, min {Num(o.Min)}, mean {Num(o.Mean)}, max {Num(o.Max)}, var {Num(o.Var)}\n" +
            $"#   {rate}\n";
    }

    // Comments are for people: 6 significant digits are plenty; the rule itself has all of them.
    private static string Num(double value) => value.ToString("G6", CultureInfo.InvariantCulture).Replace('E', 'e');
}
