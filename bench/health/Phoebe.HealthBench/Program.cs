using System.Diagnostics;
using System.Globalization;
using Phoebe.Lang;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;

// One process = one measurement of the health pipeline's costs, printed as `name<TAB>milliseconds`
// lines (bench/health/run.sh runs it several times and takes medians):
//   compile-first     the first body this process compiles (Roslyn loads and JIT-compiles)
//   compile-second    a second, different body (Roslyn warm)
//   compile-memory    the first body again (in-process cache)
//   run-first         the first run of a compiled check (its assembly loads)
//   run-warm          a run of a check that already ran (median of 200)
// With --cache DIR the compiler also uses that disk cache; a second process then reports the
// disk hit as compile-first.
string? cache = null;
string salt = "0";
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--cache") cache = args[++i];
    else if (args[i] == "--salt") salt = args[++i];
}

var total = Stopwatch.StartNew();
// Bodies like the ones users write; the salt makes them new to a cold disk cache.
string text = $$"""
HEALTH first TIMEOUT 5s {
    var clock = Stopwatch.StartNew();
    string key = $"phoebe:{{salt}}:{Guid.NewGuid():N}";
    if (!Target.Alive && Target.Pid != 0) return Unhealthy("target gone");
    double ms = clock.Elapsed.TotalMilliseconds;
    return key.Length > 0 ? Healthy(ms, "latency, ms") : false;
}

HEALTH second TIMEOUT 5s {
    var words = "a b c {{salt}}".Split(' ').Where(w => w.Length == 1).ToList();
    return words.Count >= 3 && Stats.Injections >= 0;
}
""";
var result = PhoebeCompiler.Compile(new SourceText("bench.phb", text));
if (result.HasErrors || result.Plan is null) throw new InvalidOperationException("the benchmark's .phb does not check");
var compiler = new HealthCompiler(cache);
var plan = result.Plan;

var first = Time(() => compiler.Compile(plan.HealthChecks[0], result.Root));
var second = Time(() => compiler.Compile(plan.HealthChecks[1], result.Root));
var again = Time(() => compiler.Compile(plan.HealthChecks[0], result.Root));
if (first.Value.HasErrors || second.Value.HasErrors) throw new InvalidOperationException("the benchmark's checks do not compile");

var runner = new HealthRunner(new ProcessHealthTarget(Environment.ProcessId));
var check = first.Value.Check!;
var firstRun = await TimeAsync(() => runner.RunAsync(check));
if (!firstRun.Value.Ok) throw new InvalidOperationException($"the benchmark's check failed: {firstRun.Value}");
var runs = new List<double>();
for (int i = 0; i < 200; i++) runs.Add((await TimeAsync(() => runner.RunAsync(check))).Ms);
runs.Sort();

Print("compile-first", first.Ms, first.Value.Origin.ToString());
Print("compile-second", second.Ms, second.Value.Origin.ToString());
Print("compile-memory", again.Ms, again.Value.Origin.ToString());
Print("run-first", firstRun.Ms, "");
Print("run-warm", runs[runs.Count / 2], "median of 200");
Print("process-total", total.Elapsed.TotalMilliseconds, "main() to here");

static (T Value, double Ms) Time<T>(Func<T> f)
{
    var clock = Stopwatch.StartNew();
    var value = f();
    return (value, clock.Elapsed.TotalMilliseconds);
}

static async Task<(T Value, double Ms)> TimeAsync<T>(Func<Task<T>> f)
{
    var clock = Stopwatch.StartNew();
    var value = await f();
    return (value, clock.Elapsed.TotalMilliseconds);
}

static void Print(string name, double ms, string note) =>
    Console.WriteLine($"{name}\t{ms.ToString("0.00", CultureInfo.InvariantCulture)}\t{note}");
