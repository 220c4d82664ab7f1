using System.Collections.Concurrent;
using System.Diagnostics;

namespace Phoebe.Runtime.Health;

/// <summary>
/// Live numbers of the run a health check judges (<c>Stats</c> in a HEALTH
/// block). The orchestrator fills them; everything is safe to read from any thread.
/// </summary>
public interface IHealthStats
{
    /// <summary>Time since the run (or the current experiment) started.</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Faults injected so far, all rules together.</summary>
    long Injections { get; }

    /// <summary>Faults injected so far by the rule named <paramref name="rule"/> (0 for a rule that did not inject or does not exist).</summary>
    long InjectionsOf(string rule);
}

/// <summary>
/// A simple <see cref="IHealthStats"/>: a clock started when it is created and
/// injection counters that the injector (or a test) increments.
/// </summary>
public sealed class HealthStats : IHealthStats
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, long> byRule = new(StringComparer.Ordinal);
    private long injections;

    /// <summary>Stats that never change: for checks run outside an experiment.</summary>
    public static IHealthStats None { get; } = new HealthStats();

    /// <inheritdoc/>
    public TimeSpan Elapsed => clock.Elapsed;

    /// <inheritdoc/>
    public long Injections => Interlocked.Read(ref injections);

    /// <inheritdoc/>
    public long InjectionsOf(string rule) => byRule.TryGetValue(rule, out long n) ? n : 0;

    /// <summary>Counts one injection by <paramref name="rule"/>.</summary>
    public void Injected(string rule)
    {
        Interlocked.Increment(ref injections);
        byRule.AddOrUpdate(rule, 1, (_, n) => n + 1);
    }
}
