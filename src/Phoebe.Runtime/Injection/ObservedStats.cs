using Phoebe.Lang.Catalog;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Semantics;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// What a profile observed for one <c>(syscall, errno)</c>: the values of <c>observed.min</c>,
/// <c>observed.mean</c>, <c>observed.max</c>, <c>observed.var</c> and <c>observed.count</c>.
/// </summary>
public sealed record ObservedStats(double Min, double Mean, double Max, double Var, long Count);

/// <summary>
/// Binds the <c>observed.*</c> terms of rules to a profile (<c>phoebe run --profile</c>):
/// per syscall of the rule and the errno it returns.
/// </summary>
public static class ProfileObservations
{
    /// <summary>True when the rule reads <c>observed.*</c> (not <c>rate</c>, which needs no profile).</summary>
    public static bool UsesObserved(RulePlan rule) => rule.Filter.Uses(IsObserved) || rule.Control.Uses(IsObserved);

    /// <summary>True when the rule reads <c>rate</c>.</summary>
    public static bool UsesRate(RulePlan rule) => rule.Filter.Uses(b => b == Builtin.Rate) || rule.Control.Uses(b => b == Builtin.Rate);

    private static bool IsObserved(Builtin b) => b >= Builtin.ObservedMin;

    /// <summary>
    /// The profile's statistics by <c>(syscall, errno number)</c> (aliases such as EWOULDBLOCK
    /// are their errno's number). The summary comes from the series when there is one, as
    /// <c>phoebe synthesize</c> does, else from <c>rate</c>.
    /// </summary>
    public static Dictionary<(string Syscall, int Errno), ObservedStats> Table(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var table = new Dictionary<(string, int), ObservedStats>();
        foreach (var e in profile.Errors)
        {
            if (ErrnoCatalog.Lookup(e.Errno) is not { } errno) continue; // the reader rejects unknown names
            var summary = e.Series is { Count: > 0 } series ? RateStatistics.Summarize(series) : e.Rate;
            if (summary is null) continue;
            table[(e.Syscall, errno.Number)] = new ObservedStats(summary.Min, summary.Mean, summary.Max, summary.Var, e.Count);
        }
        return table;
    }

    /// <summary>
    /// The problems of binding <paramref name="rules"/> to <paramref name="profile"/>, one
    /// message per rule and syscall whose <c>(syscall, errno)</c> the profile does not have
    /// (naming what it has for that syscall). Empty when every rule that reads <c>observed.*</c> is bound.
    /// </summary>
    public static IReadOnlyList<string> Check(IEnumerable<RulePlan> rules, Profile profile, string profileName)
    {
        var table = Table(profile);
        var problems = new List<string>();
        foreach (var rule in rules.Where(UsesObserved))
        {
            var errno = rule.Errno is { } name ? ErrnoCatalog.Lookup(name) : null;
            if (errno is null)
            {
                problems.Add($"rule `{rule.Name}` ({rule.Location}) reads observed.* but returns no errno: observed.* are the statistics of the errno a rule returns");
                continue;
            }
            foreach (var sc in rule.Syscalls)
            {
                if (table.ContainsKey((sc.Name, errno.Number))) continue;
                var has = profile.Errors.Where(e => e.Syscall == sc.Name).Select(e => e.Errno).ToList();
                string what = has.Count > 0
                    ? $"it has {sc.Name} failing with {string.Join(", ", has)}"
                    : profile.Syscalls.Any(s => s.Name == sc.Name) ? $"{sc.Name} never failed there" : $"{sc.Name} was never called there";
                problems.Add($"rule `{rule.Name}` ({rule.Location}) reads observed.* for {sc.Name} failing with {errno.Name}, " +
                    $"but the profile {profileName} has no such error: {what}");
            }
        }
        return problems;
    }
}
