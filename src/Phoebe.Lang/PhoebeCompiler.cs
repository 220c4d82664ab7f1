using System.Collections.Immutable;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Semantics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang;

/// <summary>The outcome of compiling one root file with its imports.</summary>
public sealed record CompilationResult(
    SourceText? Root,
    IReadOnlyList<PhbFile> Files,
    IReadOnlyList<Diagnostic> Diagnostics,
    SemanticModel? Model,
    InjectionPlan? Plan)
{
    /// <summary>True when any error was reported.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// The language pipeline, in one place:
/// load (parse the root and its imports) → check (names, types, classification) → plan.
/// Each stage runs only on what the previous one accepted; the plan is built only
/// when there are no errors.
/// </summary>
public static class PhoebeCompiler
{
    /// <summary>Compiles the file at <paramref name="path"/>. A missing file is a diagnostic without a location.</summary>
    public static CompilationResult CompileFile(string path, SourceResolver? resolver = null)
    {
        resolver ??= new SourceResolver();
        var loaded = resolver.LoadFile(path);
        if (loaded.Source is null)
        {
            var bag = new DiagnosticBag();
            bag.Report(DiagnosticCatalog.ImportNotFound, null, default, $"cannot read {path}: {loaded.Error}");
            return new CompilationResult(null, [], bag.Items, null, null);
        }
        return Compile(loaded.Source, resolver, loaded.Key);
    }

    /// <summary>Compiles a source text (its imports resolve relative to its path).</summary>
    public static CompilationResult Compile(SourceText root, SourceResolver? resolver = null, string? key = null)
    {
        resolver ??= new SourceResolver();
        return Compile([(root, key ?? Path.GetFullPath(root.Path, resolver.BaseDirectory))], resolver);
    }

    /// <summary>
    /// Compiles several roots into one plan (e.g. the rule files and <c>-e</c> rules of
    /// <c>phoebe run</c>): a file imported by several roots is loaded once, and names must
    /// be unique across all of them. <see cref="CompilationResult.Root"/> is the first root.
    /// </summary>
    public static CompilationResult Compile(IReadOnlyList<(SourceText Source, string Key)> roots, SourceResolver? resolver = null)
    {
        resolver ??= new SourceResolver();
        var bag = new DiagnosticBag();
        var loader = new ImportLoader(resolver, bag);
        foreach (var (source, key) in roots) loader.Load(source, key);
        var files = loader.Files;
        var root = roots.Count > 0 ? roots[0].Source : null;

        var model = new SemanticModel();
        new Checker(bag, model).Check(files);
        InjectionPlan? plan = bag.HasErrors ? null : Planner.Build(model);
        return new CompilationResult(root, files, InSourceOrder(bag.Items, files), model, plan);
    }

    // Diagnostics come from several passes; users read them file by file, top to bottom.
    private static IReadOnlyList<Diagnostic> InSourceOrder(IReadOnlyList<Diagnostic> diagnostics, IReadOnlyList<PhbFile> files)
    {
        var fileIndex = new Dictionary<SourceText, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < files.Count; i++) fileIndex[files[i].Source] = i;
        return diagnostics
            .Select((d, i) => (d, i))
            .OrderBy(x => x.d.Source is { } s && fileIndex.TryGetValue(s, out int f) ? f : -1)
            .ThenBy(x => x.d.Code == DiagnosticCatalog.TooManyErrors.Code ? 1 : 0)
            .ThenBy(x => x.d.Span.Start)
            .ThenBy(x => x.i)
            .Select(x => x.d)
            .ToArray();
    }
}

/// <summary>Parses a root file and, depth first, everything it imports; reports cycles.</summary>
internal sealed class ImportLoader(SourceResolver resolver, DiagnosticBag bag)
{
    private readonly List<PhbFile> ordered = new();
    private readonly HashSet<string> done = new(StringComparer.Ordinal);
    private readonly List<(string Key, SourceText Source)> stack = new();

    /// <summary>Everything loaded so far, imported files before their importers.</summary>
    public IReadOnlyList<PhbFile> Files => ordered;

    public IReadOnlyList<PhbFile> Load(SourceText root, string key)
    {
        if (!done.Contains(key)) Visit(root, key);
        return ordered;
    }

    private void Visit(SourceText source, string key)
    {
        done.Add(key);
        stack.Add((key, source));
        var parsed = Parse(source);
        foreach (var import in parsed.Items.OfType<ImportDecl>())
        {
            var resolved = resolver.Resolve(source.Path, import.Path);
            int onStack = stack.FindIndex(s => s.Key == resolved.Key);
            if (onStack >= 0)
            {
                string chain = string.Join(" -> ", stack.Skip(onStack).Select(s => s.Source.Path).Append(stack[onStack].Source.Path));
                bag.Report(DiagnosticCatalog.ImportCycle, source, import.Span, $"import cycle: {chain}",
                    "move what both files need into a third file that both import");
                continue;
            }
            if (done.Contains(resolved.Key)) continue;
            if (resolved.Source is null)
            {
                var hints = new List<string>();
                if (SourceResolver.IsStdlibName(import.Path))
                {
                    string? closest = Catalog.Suggestions.Closest(import.Path, SourceResolver.StdlibModules);
                    if (closest != null) hints.Add($"did you mean `{closest}`?");
                    hints.Add("stdlib modules: " + string.Join(", ", SourceResolver.StdlibModules));
                    hints.Add("to import a file, write its name with `.phb`");
                }
                else
                {
                    hints.Add("paths are relative to the importing file");
                }
                bag.Report(DiagnosticCatalog.ImportNotFound, source, import.PathSpan, $"cannot import \"{import.Path}\": {resolved.Error}", hints.ToArray());
                continue;
            }
            Visit(resolved.Source, resolved.Key);
        }
        stack.RemoveAt(stack.Count - 1);
        ordered.Add(parsed);
    }

    private PhbFile Parse(SourceText source)
    {
        int nul = source.Text.AsSpan(0, Math.Min(source.Text.Length, 8192)).IndexOf('\0');
        if (nul >= 0)
        {
            bag.Report(DiagnosticCatalog.NotText, source, new TextSpan(nul, 1), "this file contains NUL bytes: it is not a .phb text file",
                "pass a .phb rule file");
            return new PhbFile(source, ImmutableArray<ItemNode>.Empty, ImmutableArray<Comment>.Empty);
        }
        var result = PhbParser.Parse(source);
        bag.AddRange(result.Diagnostics);
        return result.File;
    }
}
