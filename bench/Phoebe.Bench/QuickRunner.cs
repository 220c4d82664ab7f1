using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Phoebe.Lang;
using Phoebe.Lang.Syntax;

namespace Phoebe.Bench;

/// <summary>
/// A fast sanity run without BenchmarkDotNet: the same four cases, timed with a
/// Stopwatch, median of N runs after a warm-up, plus the first (cold) compile of the
/// process, which is what a one-shot <c>phoebe check</c> pays.
/// </summary>
internal static class QuickRunner
{
    private sealed record Case(string Name, Func<RuleCorpus, object> Run);

    private static readonly Case[] Cases =
    [
        new("JSON JsonDocument.Parse", c => { using var d = JsonDocument.Parse(c.Json); return d.RootElement.GetProperty("rules").GetArrayLength(); }),
        new("JSON JsonNode.Parse", c => JsonTree.CountNodes(JsonNode.Parse(c.Json))),
        new("Phoebe parse", c => PhbParser.Parse(c.Source)),
        new("Phoebe parse+check+plan", c => PhoebeCompiler.Compile(c.Source)),
    ];

    public static int Run(QuickOptions options)
    {
        if (IsDebugBuild()) Console.WriteLine("warning: Phoebe.Lang is a Debug build; numbers are meaningless (use -c Release)");

        var corpora = options.Sizes.Select(n => RuleCorpus.Create(n, options.Seed)).ToArray();
        if (options.EmitDirectory is { } dir)
        {
            foreach (var c in corpora) c.WriteTo(dir);
            Console.WriteLine($"wrote {string.Join(", ", corpora.Select(c => $"rules-{c.Count}.phb/.json"))} to {dir}");
        }

        // Cold: the first compile in this process pays JIT, ANTLR's ATN deserialisation and DFA
        // construction, and catalog loading. Measured before anything else touches Phoebe.Lang.
        var largest = corpora.MaxBy(c => c.Count)!;
        var cold = Stopwatch.StartNew();
        PhoebeCompiler.Compile(largest.Source);
        cold.Stop();

        foreach (var c in corpora)
        {
            int warnings = c.Validate();
            Console.WriteLine($"corpus: {c.Count,6:N0} rules, {c.Phb.Length,9:N0} chars .phb, {c.Json.Length,9:N0} chars JSON, {warnings} warnings, all rules check");
        }
        Console.WriteLine($"runtime: .NET {Environment.Version}, {Environment.ProcessorCount} CPUs, warm-up {options.Warmup} runs and >= 1 s, median of {options.Runs} runs");
        Console.WriteLine();

        var rows = new List<(string Case, int Rules, double Median, double Min, double Max, long Allocated)>();
        foreach (var corpus in corpora)
        {
            foreach (var c in Cases)
            {
                // Warm up for at least the given number of runs and at least a second, so that tiered
                // JIT has promoted the hot methods (30 calls, then a background recompile).
                var warm = Stopwatch.StartNew();
                for (int i = 0; i < options.Warmup || (options.Warmup > 0 && warm.ElapsedMilliseconds < 1000); i++) c.Run(corpus);
                var times = new double[options.Runs];
                long allocated = 0;
                for (int i = 0; i < options.Runs; i++)
                {
                    // No forced GC between runs: like BenchmarkDotNet, runs go back to back, and each pays
                    // for the collections its own allocations cause.
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    long start = Stopwatch.GetTimestamp();
                    GC.KeepAlive(c.Run(corpus));
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                }
                Array.Sort(times);
                rows.Add((c.Name, corpus.Count, Median(times), times[0], times[^1], allocated));
            }
        }

        Console.WriteLine($"| {"case",-24} | {"rules",6} | {"median",10} | {"min",10} | {"max",10} | {"per rule",9} | {"allocated",10} | {"× JsonDocument",14} |");
        Console.WriteLine($"|{new string('-', 26)}|{new string('-', 7)}:|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 11)}:|{new string('-', 10)}:|{new string('-', 11)}:|{new string('-', 15)}:|");
        foreach (var r in rows)
        {
            double baseline = rows.First(x => x.Rules == r.Rules).Median;
            Console.WriteLine($"| {r.Case,-24} | {r.Rules,6:N0} | {Ms(r.Median),10} | {Ms(r.Min),10} | {Ms(r.Max),10} | {Us(r.Median / r.Rules),9} | {Mb(r.Allocated),10} | {r.Median / baseline,14:F1} |");
        }
        Console.WriteLine();
        Console.WriteLine($"first compile in this process (cold: JIT, ANTLR DFA, catalogs), {largest.Count:N0} rules: {Ms(cold.Elapsed.TotalMilliseconds)}");

        var check = rows.Where(r => r.Case == "Phoebe parse+check+plan").MaxBy(r => r.Rules);
        Console.WriteLine($"goal, parse and check {check.Rules:N0} rules well under 1 s (taken as <= 0.5 s): " +
            $"warm {Verdict(check.Median)} ({Ms(check.Median)}), cold {Verdict(cold.Elapsed.TotalMilliseconds)} ({Ms(cold.Elapsed.TotalMilliseconds)})");
        return 0;
    }

    private static string Verdict(double ms) => ms <= 500 ? "met" : ms < 1000 ? "under 1 s but not well under" : "NOT met";

    private static double Median(double[] sorted) => sorted.Length % 2 == 1
        ? sorted[sorted.Length / 2]
        : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

    private static string Ms(double ms) => ms.ToString("F2", CultureInfo.InvariantCulture) + " ms";

    private static string Us(double ms) => (ms * 1000).ToString("F1", CultureInfo.InvariantCulture) + " µs";

    private static string Mb(long bytes) => bytes < 1048576
        ? (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KB"
        : (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MB";

    private static bool IsDebugBuild() =>
        typeof(PhoebeCompiler).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true;
}

/// <summary>Options of <c>--quick</c>.</summary>
internal sealed record QuickOptions(int[] Sizes, int Runs, int Warmup, int Seed, string? EmitDirectory);
