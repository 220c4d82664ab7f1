using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using CodeAnalysis = Microsoft.CodeAnalysis;

namespace Phoebe.Runtime.Health;

/// <summary>Where a compiled health-check body came from.</summary>
public enum HealthCompileOrigin
{
    /// <summary>Roslyn compiled it now.</summary>
    Compiled,

    /// <summary>This compiler had compiled the same body before in this process.</summary>
    MemoryCache,

    /// <summary>An earlier process compiled it and left it in the disk cache; Roslyn was not needed.</summary>
    DiskCache,
}

/// <summary>
/// Compiles HEALTH blocks with Roslyn scripting against <see cref="HealthContext"/>
/// and reports C# errors and warnings at <c>.phb</c> positions. Each distinct body
/// is compiled once: results are cached in memory by a hash of the body and the
/// compiler's options, and, when a cache directory is given, on disk (the emitted
/// assembly and the diagnostics), so a later process needs no Roslyn at all for a
/// body it has seen. docs/health.md describes the cache.
/// </summary>
/// <remarks>Only this type, <see cref="HealthScriptOptions"/> and <see cref="HealthScriptText"/> touch Roslyn, which loads on the first compilation that misses both caches.</remarks>
public sealed class HealthCompiler
{
    private readonly ConcurrentDictionary<string, Lazy<CompiledBody>> memory = new(StringComparer.Ordinal);
    private readonly HealthDiskCache? disk;

    /// <summary>A compiler caching in memory and, when <paramref name="cacheDirectory"/> is given, in that directory.</summary>
    public HealthCompiler(string? cacheDirectory = null)
    {
        disk = cacheDirectory is null ? null : new HealthDiskCache(cacheDirectory);
    }

    /// <summary>The process-wide compiler, caching on disk in <see cref="DefaultCacheDirectory"/>.</summary>
    public static HealthCompiler Shared { get; } = new(DefaultCacheDirectory());

    /// <summary>The namespaces a HEALTH block can use without <c>using</c> (docs/health.md lists them).</summary>
    public static IReadOnlyList<string> Imports { get; } =
    [
        "System",
        "System.Collections.Generic",
        "System.Diagnostics",
        "System.IO",
        "System.Linq",
        "System.Net",
        "System.Net.Http",
        "System.Net.Sockets",
        "System.Text",
        "System.Text.Json",
        "System.Text.RegularExpressions",
        "System.Threading",
        "System.Threading.Tasks",
        "Phoebe.Runtime.Health",
    ];

    // What, besides the body, determines a compilation: part of the cache key. Read from
    // metadata, not from Roslyn's types, so that a cache hit does not load Roslyn.
    private static readonly string Fingerprint = string.Join("|",
        "phoebe-health-2",
        typeof(HealthCompiler).Assembly.ManifestModule.ModuleVersionId,
        typeof(HealthCompiler).Assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == "Microsoft.CodeAnalysis.CSharp.Scripting")?.Version,
        string.Join(",", Imports));

    /// <summary>The number of distinct bodies this compiler has compiled or loaded.</summary>
    public int CachedBodies => memory.Count;

    /// <summary>The directory of the disk cache; null when there is none.</summary>
    public string? CacheDirectory => disk?.Directory;

    /// <summary>
    /// Where the shared compiler caches on disk: <c>$PHOEBE_HEALTH_CACHE</c> when set
    /// (<c>off</c> disables the disk cache), else <c>$XDG_CACHE_HOME/phoebe/health</c>,
    /// else <c>~/.cache/phoebe/health</c>.
    /// </summary>
    public static string? DefaultCacheDirectory()
    {
        string? setting = Environment.GetEnvironmentVariable("PHOEBE_HEALTH_CACHE");
        if (!string.IsNullOrEmpty(setting)) return setting is "off" or "0" or "false" ? null : setting;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "phoebe", "health");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "phoebe", "health");
    }

    /// <summary>
    /// Compiles <paramref name="check"/>. <paramref name="source"/> is the text of the
    /// <c>.phb</c> file the check comes from, so that diagnostics can point into it;
    /// without it (or when it does not contain the body where the plan says),
    /// diagnostics carry the position in their message instead.
    /// </summary>
    /// <exception cref="ManagedRuntimeRequiredException">This is a Native AOT build: nothing compiled at run time can run.</exception>
    public HealthCompilation Compile(HealthCheckPlan check, SourceText? source)
    {
        ArgumentNullException.ThrowIfNull(check);
        // A constant in a Native AOT build: the compiler then drops everything below, and Roslyn with it.
        if (!RuntimeFeature.IsDynamicCodeSupported) throw new ManagedRuntimeRequiredException();
        var clock = Stopwatch.StartNew();
        string key = CacheKey(check.Body);
        var entry = memory.GetOrAdd(key, k => new Lazy<CompiledBody>(() => Load(k, check.Body)));
        bool seen = entry.IsValueCreated;
        var compiled = entry.Value;
        int? bodyStart = source is null ? null : BodyStart(source, check);
        var diagnostics = compiled.Diagnostics.Select(d => ToPhoebe(d, check, source, bodyStart)).ToImmutableArray();
        var runnable = compiled.HasErrors ? null : new CompiledHealthCheck(check, compiled.Run);
        return new HealthCompilation(check, runnable, diagnostics, clock.Elapsed, seen ? HealthCompileOrigin.MemoryCache : compiled.Origin);
    }

    // ------------------------------------------------------------------ compiling

    private static string CacheKey(string body)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Fingerprint + "\n" + body));
        return Convert.ToHexStringLower(hash);
    }

    private CompiledBody Load(string key, string body)
    {
        if (disk?.TryRead(key) is { } cached)
        {
            // The assembly is loaded on the first run, not here: `phoebe check` needs only the diagnostics.
            var fromDisk = new Lazy<Func<HealthContext, Task<HealthResult?>>>(() =>
            {
                try
                {
                    return cached.Load();
                }
                catch (Exception e) when (e is IOException or BadImageFormatException or TypeLoadException or MissingMethodException or ArgumentException)
                {
                    // A damaged entry: compile again (and rewrite it).
                    return CompileBody(key, body).Run;
                }
            });
            return new CompiledBody(cached.Diagnostics, HealthCompileOrigin.DiskCache,
                cached.DllPath is null ? null : context => fromDisk.Value(context));
        }
        try
        {
            return CompileBody(key, body);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A compiler bug must not become a stack trace in `phoebe check`: report it on the body.
            var failure = new BodyDiagnostic(true, $"the C# compiler failed on this body: {e.GetType().Name}: {e.Message}",
                new TextSpan(0, 0), ImmutableArray<string>.Empty);
            return new CompiledBody(ImmutableArray.Create(failure), HealthCompileOrigin.Compiled, null);
        }
    }

    // Never inlined into Load, so that a disk-cache hit does not make the JIT load Roslyn.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private CompiledBody CompileBody(string key, string body)
    {
        var text = HealthScriptText.Wrap(body, HealthScriptOptions.ParseOptions);
        var script = CSharpScript.Create<HealthResult?>(text.Text, HealthScriptOptions.Options, typeof(HealthContext));
        var found = script.Compile()
            .Where(d => d.Severity is CodeAnalysis.DiagnosticSeverity.Error or CodeAnalysis.DiagnosticSeverity.Warning && !d.IsSuppressed)
            .Where(d => !IgnoredIds.Contains(d.Id))
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => ToBodyDiagnostic(d, text, body))
            .ToList();
        if (found.Any(d => d.IsError))
        {
            var errors = new CompiledBody(found.ToImmutableArray(), HealthCompileOrigin.Compiled, null);
            disk?.TryWrite(key, errors.Diagnostics, null);
            return errors;
        }

        var compilation = script.GetCompilation();
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
        {
            found.AddRange(emitted.Diagnostics.Where(d => d.Severity == CodeAnalysis.DiagnosticSeverity.Error).Select(d => ToBodyDiagnostic(d, text, body)));
            return new CompiledBody(found.ToImmutableArray(), HealthCompileOrigin.Compiled, null);
        }
        var entryPoint = compilation.GetEntryPoint(CancellationToken.None)
            ?? throw new InvalidOperationException("Roslyn produced a script without an entry point");
        var assembly = new HealthAssembly(image.ToArray(), entryPoint.ContainingType.MetadataName, entryPoint.MetadataName);
        var diagnostics = found.ToImmutableArray();
        disk?.TryWrite(key, diagnostics, assembly);
        var run = new Lazy<Func<HealthContext, Task<HealthResult?>>>(assembly.Load);
        return new CompiledBody(diagnostics, HealthCompileOrigin.Compiled, context => run.Value(context));
    }

    private static readonly HashSet<string> IgnoredIds = new(StringComparer.Ordinal)
    {
        // An async method without await: every synchronous check is one, by construction.
        "CS1998",
        // `string?` outside `#nullable enable`: harmless in a check, and writing it is a good habit.
        "CS8632",
    };

    private static BodyDiagnostic ToBodyDiagnostic(CodeAnalysis.Diagnostic d, HealthScriptText text, string body)
    {
        bool error = d.Severity == CodeAnalysis.DiagnosticSeverity.Error;
        string kind = error ? "error" : "warning";
        if (d.Id == "CS0161")
        {
            // "__PhoebeHealthCheck(): not all code paths return a value", at the method Phoebe wrapped the body in:
            // say it in the check's words, at the closing brace of the HEALTH block.
            return new BodyDiagnostic(true, $"C# {kind} CS0161: not all code paths of this health check return a result",
                new TextSpan(body.Length, 1),
                ImmutableArray.Create("end every path with `return <bool>;`, `return Healthy(...);` or `return Unhealthy(\"why\");`"));
        }
        string roslyn = d.GetMessage(CultureInfo.InvariantCulture);
        var span = d.Location.IsInSource ? text.ToBody(d.Location.SourceSpan) : new TextSpan(0, 0);
        return new BodyDiagnostic(error, $"C# {kind} {d.Id}: {roslyn}", span, HintsFor(d.Id, roslyn));
    }

    private static ImmutableArray<string> HintsFor(string id, string message) => id switch
    {
        // The name does not exist / the type or namespace was not found.
        "CS0103" or "CS0246" => ImmutableArray.Create(
            "a health check can use Target, Stats, Tcp, Http, Process, Log, Delay, Healthy, Unhealthy, Cancellation, Timeout and CheckName (docs/health.md)",
            "imported namespaces: " + string.Join(", ", Imports) + "; add `using` for others"),
        // Cannot convert X to HealthResult.
        "CS0029" or "CS0266" or "CS1662" when message.Contains(nameof(HealthResult), StringComparison.Ordinal) => ImmutableArray.Create(
            "a health check returns a bool or a HealthResult: `return Healthy(value, \"message\");`, `return Unhealthy(\"why\");`"),
        // #r and #load are refused.
        "CS0006" or "CS1504" or "CS7010" or "CS7011" => ImmutableArray.Create("health checks cannot load assemblies or files (#r, #load): use what the imported namespaces offer"),
        _ => ImmutableArray<string>.Empty,
    };

    // ------------------------------------------------------------------ mapping to .phb positions

    private static Diagnostic ToPhoebe(BodyDiagnostic d, HealthCheckPlan check, SourceText? source, int? bodyStart)
    {
        var descriptor = d.IsError ? DiagnosticCatalog.CSharpError : DiagnosticCatalog.CSharpWarning;
        if (source is not null && bodyStart is { } start)
        {
            return new Diagnostic(descriptor, source, new TextSpan(start + d.Span.Start, d.Span.Length), d.Message,
                ImmutableArray<DiagnosticLabel>.Empty, d.Hints);
        }
        // No text to point into: give the position in words. Only the body's first line starts mid-line.
        string body = check.Body;
        int offset = Math.Clamp(d.Span.Start, 0, body.Length);
        int lines = body.AsSpan(0, offset).Count('\n');
        int lineStart = offset == 0 ? 0 : body.LastIndexOf('\n', offset - 1) + 1;
        var at = check.BodyLocation;
        int column = lines == 0 ? at.Column + offset : offset - lineStart + 1;
        return new Diagnostic(descriptor, null, default, $"{at.Path}:{at.Line + lines}:{column}: {d.Message} (health check `{check.Name}`)",
            ImmutableArray<DiagnosticLabel>.Empty, d.Hints);
    }

    /// <summary>The offset of the body in <paramref name="source"/>, or null when the body is not where the plan says.</summary>
    internal static int? BodyStart(SourceText source, HealthCheckPlan check)
    {
        if (source.Path != check.BodyLocation.Path) return null;
        string text = source.Text;
        int line = 1, offset = 0;
        while (line < check.BodyLocation.Line)
        {
            int newline = text.IndexOf('\n', offset);
            if (newline < 0) return null;
            offset = newline + 1;
            line++;
        }
        offset += check.BodyLocation.Column - 1;
        if (offset < 0 || offset + check.Body.Length > text.Length) return null;
        return string.CompareOrdinal(text, offset, check.Body, 0, check.Body.Length) == 0 ? offset : null;
    }
}

/// <summary>A Roslyn diagnostic with its span inside the body.</summary>
internal sealed record BodyDiagnostic(bool IsError, string Message, TextSpan Span, ImmutableArray<string> Hints);

/// <summary>A body compiled once: its diagnostics and, without errors, how to run it.</summary>
internal sealed record CompiledBody(ImmutableArray<BodyDiagnostic> Diagnostics, HealthCompileOrigin Origin, Func<HealthContext, Task<HealthResult?>>? Runner)
{
    public bool HasErrors => Runner is null;

    public Func<HealthContext, Task<HealthResult?>> Run => Runner ?? throw new InvalidOperationException("a body with errors cannot run");
}
