using Phoebe.Lang.Catalog;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;

namespace Phoebe.Runtime.Metrics;

/// <summary>
/// One reading of an injection engine's counters, cumulative since it started: what <c>phoebe run</c> and
/// <c>phoebe attach</c> export with <c>injected="true"</c>. Reading costs the engine nothing: it reads the counters
/// the engine keeps anyway (per rule, and per rule and syscall), from any thread.
/// </summary>
/// <param name="Rules">The rules, in the engine's order; rules decided in the kernel are left out (they have no counters).</param>
public sealed record InjectionCounts(IReadOnlyList<RuleCounts> Rules)
{
    /// <summary>Nothing injected, no rules.</summary>
    public static readonly InjectionCounts None = new([]);

    /// <summary>Reads <paramref name="engine"/>'s counters now.</summary>
    public static InjectionCounts Read(InjectionEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var rules = new List<RuleCounts>();
        foreach (var rule in engine.Rules)
        {
            if (rule.InKernel) continue;
            bool entry = rule.Plan.Phase == Phase.Entry;
            var syscalls = rule.Syscalls.Select(s => new RuleSyscallCounts(s.Syscall, s.Injections, s.Returns)).ToList();
            rules.Add(new RuleCounts(rule.Name, entry, rule.ReturnValue, rule.Calls, rule.Matched, syscalls));
        }
        return new InjectionCounts(rules);
    }

    /// <summary>
    /// The name of the errno a result stands for (<c>-2</c>: <c>ENOENT</c>), or null when it is not an error or
    /// its number has no name in Phoebe's catalog.
    /// </summary>
    public static string? ErrnoOf(long? result) =>
        result is >= -4095 and <= -1 ? ErrnoCatalog.ByNumber((int)-result.Value)?.Name : null;

    /// <summary>
    /// Calls that failed because a rule returned an error, per (syscall, errno), summed over rules; every pair
    /// some rule can return is present, with 0 until it happens.
    /// </summary>
    public IReadOnlyDictionary<(string Syscall, string Errno), long> Errors()
    {
        var errors = new Dictionary<(string, string), long>();
        foreach (var rule in Rules)
        {
            if (ErrnoOf(rule.ReturnValue) is not { } errno) continue;
            foreach (var s in rule.Syscalls) errors[(s.Syscall, errno)] = errors.GetValueOrDefault((s.Syscall, errno)) + s.Returns;
        }
        return errors;
    }

    /// <summary>
    /// Calls answered at entry by a rule's return, which the kernel never ran, per syscall; every syscall an ENTRY
    /// rule returns on is present, with 0 until it happens.
    /// </summary>
    public IReadOnlyDictionary<string, long> EntryReturns()
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var rule in Rules)
        {
            if (!rule.AtEntry || rule.ReturnValue is null) continue;
            foreach (var s in rule.Syscalls) calls[s.Syscall] = calls.GetValueOrDefault(s.Syscall) + s.Returns;
        }
        return calls;
    }
}

/// <summary>The counters of one rule.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="AtEntry">True for an ENTRY rule (its returns replace the call), false for an EXIT rule (they replace the result).</param>
/// <param name="ReturnValue">What its <c>return</c> gives (<c>-errno</c> for an error), or null when it returns nothing.</param>
/// <param name="Calls">Calls of its syscalls seen while it was enabled.</param>
/// <param name="Matched">Calls whose conditions held.</param>
/// <param name="Syscalls">Its counters per syscall.</param>
public sealed record RuleCounts(string Rule, bool AtEntry, long? ReturnValue, long Calls, long Matched, IReadOnlyList<RuleSyscallCounts> Syscalls);

/// <summary>The counters of one rule on one syscall.</summary>
/// <param name="Syscall">The syscall's name.</param>
/// <param name="Injections">Times the rule acted on its calls (returned, delayed, signalled or logged).</param>
/// <param name="Returns">Calls whose result was the rule's return.</param>
public sealed record RuleSyscallCounts(string Syscall, long Injections, long Returns);
