using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Phoebe.Lang;
using Phoebe.Lang.Syntax;

namespace Phoebe.Bench;

/// <summary>
/// "Parse and check 10,000 rules" (goal: well under one second), at 1,000 and
/// 10,000 rules to show scaling, against System.Text.Json parsing the same rules
/// written as JSON (the baseline: the Ratio column is "× a JSON parse").
/// </summary>
[Config(typeof(InProcessConfig))]
[MemoryDiagnoser]
public class LanguageBenchmarks
{
    private RuleCorpus corpus = null!;

    /// <summary>Rules in the generated file.</summary>
    [Params(1_000, 10_000)]
    public int Rules { get; set; }

    /// <summary>Generates the rules and asserts that every one of them checks without errors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        corpus = RuleCorpus.Create(Rules);
        int warnings = corpus.Validate();
        Console.WriteLine($"// corpus: {Rules} rules, {corpus.Phb.Length:N0} chars of .phb, {corpus.Json.Length:N0} chars of JSON, {warnings} warnings");
    }

    /// <summary>System.Text.Json: parse and validate the JSON into a <see cref="JsonDocument"/>.</summary>
    [Benchmark(Baseline = true, Description = "JSON JsonDocument.Parse")]
    public int JsonDocumentParse()
    {
        using var doc = JsonDocument.Parse(corpus.Json);
        return doc.RootElement.GetProperty("rules").GetArrayLength();
    }

    /// <summary>System.Text.Json: parse the JSON into a mutable tree of nodes (closer to building an AST).</summary>
    [Benchmark(Description = "JSON JsonNode.Parse")]
    public int JsonNodeParse() => JsonTree.CountNodes(JsonNode.Parse(corpus.Json));

    /// <summary>Phoebe: lex and parse into the syntax tree (<see cref="PhbParser.Parse"/>).</summary>
    [Benchmark(Description = "Phoebe parse")]
    public ParseResult Parse() => PhbParser.Parse(corpus.Source);

    /// <summary>Phoebe: parse, check and plan (<see cref="PhoebeCompiler.Compile"/>, what `phoebe check` does).</summary>
    [Benchmark(Description = "Phoebe parse+check+plan")]
    public CompilationResult Compile() => PhoebeCompiler.Compile(corpus.Source);
}

/// <summary>
/// One in-process job: no child project is generated and built, so nothing is written
/// next to the sources (other builds of the solution may be running concurrently).
/// </summary>
public sealed class InProcessConfig : ManualConfig
{
    /// <summary>3 warm-up and 10 measured iterations, in process.</summary>
    public InProcessConfig()
    {
        AddJob(Job.Default
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("InProcess"));
        // JsonDocument rents its buffers from a pool (~0 B allocated): an allocation ratio against it means nothing.
        HideColumns(Column.AllocRatio);
    }
}
