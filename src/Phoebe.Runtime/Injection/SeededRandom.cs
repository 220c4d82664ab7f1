using System.Numerics;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// The run's deterministic random source: xoshiro256** (Blackman and Vigna) with its
/// state seeded from a 64-bit seed by SplitMix64, as the authors recommend. The same
/// seed and the same sequence of calls give the same results, so a run can be replayed.
/// Not thread-safe: one instance per thread that decides injections.
/// </summary>
public sealed class SeededRandom
{
    private ulong s0, s1, s2, s3;

    /// <summary>Creates a generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        s0 = SplitMix64(ref x);
        s1 = SplitMix64(ref x);
        s2 = SplitMix64(ref x);
        s3 = SplitMix64(ref x);
    }

    /// <summary>The seed this generator started from (to report, so a run can be repeated).</summary>
    public ulong Seed { get; }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>A uniformly distributed double in [0, 1), from the top 53 bits of one draw.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// True with probability <paramref name="p"/>. Always consumes exactly one draw, even when
    /// the answer is certain (p &lt;= 0, p &gt;= 1 or NaN), so that a rule's probability changing
    /// does not shift the draws of every later decision.
    /// </summary>
    public bool Chance(double p)
    {
        double draw = NextDouble();
        // draw < p is false for p <= 0 and for NaN; draw < 1 is always true.
        return draw < p;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
