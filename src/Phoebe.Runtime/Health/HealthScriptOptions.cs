using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace Phoebe.Runtime.Health;

/// <summary>
/// How HEALTH blocks are compiled: the assemblies they reference, the namespaces
/// they import (<see cref="HealthCompiler.Imports"/>), and no <c>#r</c> or <c>#load</c>
/// (a check is self-contained, so its compilation can be cached by its text alone).
/// Touching this class loads Roslyn.
/// </summary>
internal static class HealthScriptOptions
{
    // The framework assemblies behind those namespaces (implementation assemblies, as
    // Roslyn scripting uses them; anything they forward to is resolved on demand).
    private static readonly string[] FrameworkAssemblies =
    [
        "System.Private.CoreLib",
        "System.Runtime",
        "System.Collections",
        "System.Collections.Concurrent",
        "System.ComponentModel.Primitives",
        "System.Console",
        "System.Diagnostics.Process",
        "System.Linq",
        "System.Memory",
        "System.Net.Http",
        "System.Net.NameResolution",
        "System.Net.Primitives",
        "System.Net.Sockets",
        "System.Private.Uri",
        "System.Text.Encoding.Extensions",
        "System.Text.Json",
        "System.Text.RegularExpressions",
        "System.Threading",
        "System.Threading.Tasks",
    ];

    /// <summary>How a body is parsed: as script code, C# latest.</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest, kind: SourceCodeKind.Script);

    /// <summary>The options every check is compiled with.</summary>
    public static ScriptOptions Options { get; } = Create();

    private static ScriptOptions Create()
    {
        var references = new List<MetadataReference>();
        foreach (var name in FrameworkAssemblies)
        {
            if (FrameworkPath(name) is { } path) references.Add(MetadataReference.CreateFromFile(path));
        }
        references.Add(MetadataReference.CreateFromFile(typeof(HealthContext).Assembly.Location));
        return ScriptOptions.Default
            .WithReferences(references)
            .WithImports(HealthCompiler.Imports)
            .WithMetadataResolver(new NoReferenceDirectives(ScriptMetadataResolver.Default))
            .WithSourceResolver(NoLoadDirectives.Instance)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(false)
            .WithAllowUnsafe(false)
            .WithCheckOverflow(false);
    }

    private static string? FrameworkPath(string name)
    {
        // The host lists the framework's assemblies; fall back to CoreLib's directory.
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string tpa)
        {
            foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(Path.GetFileNameWithoutExtension(path), name, StringComparison.Ordinal)) return path;
            }
        }
        string candidate = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location) ?? "", name + ".dll");
        return File.Exists(candidate) ? candidate : null;
    }

    /// <summary>Refuses <c>#r</c>, but still lets the compiler find assemblies that references forward types to.</summary>
    private sealed class NoReferenceDirectives(MetadataReferenceResolver inner) : MetadataReferenceResolver
    {
        private readonly MetadataReferenceResolver inner = inner;

        public override ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties) =>
            ImmutableArray<PortableExecutableReference>.Empty;

        public override bool ResolveMissingAssemblies => inner.ResolveMissingAssemblies;

        public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) =>
            inner.ResolveMissingAssembly(definition, referenceIdentity);

        public override bool Equals(object? other) => other is NoReferenceDirectives o && o.inner.Equals(inner);

        public override int GetHashCode() => inner.GetHashCode();
    }

    /// <summary>Refuses <c>#load</c>.</summary>
    private sealed class NoLoadDirectives : SourceReferenceResolver
    {
        public static readonly NoLoadDirectives Instance = new();

        public override string? NormalizePath(string path, string? baseFilePath) => null;

        public override string? ResolveReference(string path, string? baseFilePath) => null;

        public override Stream OpenRead(string resolvedPath) => throw new FileNotFoundException("#load is not supported in health checks", resolvedPath);

        public override bool Equals(object? other) => other is NoLoadDirectives;

        public override int GetHashCode() => 0x4c4f4144;
    }
}
