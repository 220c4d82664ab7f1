using System.Reflection;
using System.Text;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang;

/// <summary>The outcome of resolving an import: a source, or why there is none.</summary>
public sealed record ResolvedSource(string Key, SourceText? Source, string? Error);

/// <summary>
/// Finds the text of imported files. <c>import "x.phb"</c> (anything ending in
/// <c>.phb</c> or containing a <c>/</c>) is a file relative to the importing file;
/// <c>import "disk-full"</c> is a module of Phoebe's standard library.
/// </summary>
public class SourceResolver
{
    private const string StdlibPrefix = "Phoebe.Stdlib.";

    /// <summary>Creates a resolver; relative paths are taken relative to <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public SourceResolver(string? baseDirectory = null)
    {
        BaseDirectory = baseDirectory ?? Directory.GetCurrentDirectory();
    }

    /// <summary>The directory relative display paths are resolved against.</summary>
    public string BaseDirectory { get; }

    /// <summary>The standard library's module names.</summary>
    public static IReadOnlyList<string> StdlibModules { get; } = typeof(SourceResolver).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(StdlibPrefix, StringComparison.Ordinal) && n.EndsWith(".phb", StringComparison.Ordinal))
        .Select(n => n[StdlibPrefix.Length..^4])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>True when an import string names a stdlib module rather than a file.</summary>
    public static bool IsStdlibName(string import) => !import.EndsWith(".phb", StringComparison.Ordinal) && !import.Contains('/');

    /// <summary>Reads a file given on the command line.</summary>
    public virtual ResolvedSource LoadFile(string path)
    {
        string key = Path.GetFullPath(path, BaseDirectory);
        try
        {
            return new ResolvedSource(key, new SourceText(path, ReadText(key)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ResolvedSource(key, null, Describe(e));
        }
    }

    /// <summary>Resolves <paramref name="import"/> as written in the file at <paramref name="importerPath"/>.</summary>
    public virtual ResolvedSource Resolve(string importerPath, string import)
    {
        if (IsStdlibName(import))
        {
            using var stream = typeof(SourceResolver).Assembly.GetManifestResourceStream(StdlibPrefix + import + ".phb");
            if (stream is null) return new ResolvedSource("stdlib:" + import, null, $"no stdlib module named `{import}`");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return new ResolvedSource("stdlib:" + import, new SourceText($"<stdlib>/{import}.phb", reader.ReadToEnd()), null);
        }
        if (importerPath.StartsWith("<stdlib>/", StringComparison.Ordinal))
        {
            return new ResolvedSource(import, null, "stdlib modules import only other stdlib modules");
        }
        string dir = Path.GetDirectoryName(importerPath) ?? "";
        string display = Path.IsPathRooted(import) ? import : Path.Combine(dir, import);
        string key = Path.GetFullPath(display, BaseDirectory);
        try
        {
            return new ResolvedSource(key, new SourceText(display, ReadText(key)), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return new ResolvedSource(key, null, Describe(e));
        }
    }

    private static string ReadText(string path) => File.ReadAllText(path, new UTF8Encoding(false, false));

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
