using System.Globalization;
using BenchmarkDotNet.Running;
using Phoebe.Bench;

// Usage:
//   Phoebe.Bench [BenchmarkDotNet options]      the BenchmarkDotNet suite (e.g. --artifacts DIR, --filter '*Compile*')
//   Phoebe.Bench --quick [--runs N] [--warmup N] [--rules 1000,10000] [--seed S] [--emit DIR]
//                                               a Stopwatch sanity run (median of N runs after a warm-up)
if (args.Contains("--quick"))
{
    try
    {
        return QuickRunner.Run(ParseQuick(args));
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
}

string[] bdnArgs = args.Contains("--filter") || args.Contains("-f") ? args : [.. args, "--filter", "*"];
var summary = BenchmarkRunner.Run<LanguageBenchmarks>(args: bdnArgs);
return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;

static QuickOptions ParseQuick(string[] args)
{
    var options = new QuickOptions([1_000, 10_000], Runs: 15, Warmup: 3, RuleCorpus.DefaultSeed, EmitDirectory: null);
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0
            ? v : throw new ArgumentException($"{args[i - 1]} needs a non-negative integer, found `{args[i]}`");
        options = args[i] switch
        {
            "--quick" => options,
            "--runs" => options with { Runs = Math.Max(1, Int()) },
            "--warmup" => options with { Warmup = Int() },
            "--seed" => options with { Seed = Int() },
            "--emit" => options with { EmitDirectory = Value() },
            "--rules" => options with
            {
                Sizes = Value().Split(',').Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
                    ? n : throw new ArgumentException($"--rules needs positive integers, found `{s}`")).ToArray(),
            },
            _ => throw new ArgumentException($"unknown option `{args[i]}` for --quick"),
        };
    }
    return options;
}
