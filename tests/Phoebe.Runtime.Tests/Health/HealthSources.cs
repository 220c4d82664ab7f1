using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;

namespace Phoebe.Runtime.Tests.Health;

/// <summary>Compiles <c>.phb</c> text through the language and the health pass, as <c>phoebe check</c> does.</summary>
internal static class HealthSources
{
    /// <summary>One compiler for the tests (memory cache only), so a body shared by tests compiles once.</summary>
    public static HealthCompiler Compiler { get; } = new();

    /// <summary>The language's result and the health pass's, for <paramref name="text"/> as file <paramref name="path"/>.</summary>
    public static HealthPassResult Compile(string text, string path = "checks.phb", HealthCompiler? compiler = null)
    {
        var source = new SourceText(path, text);
        var result = PhoebeCompiler.Compile(source, new SourceResolver(Path.GetTempPath()), Path.Combine(Path.GetTempPath(), path));
        Assert.False(result.HasErrors, "the language rejected the test file:\n" + Render(result.Diagnostics));
        return HealthPass.Run(result, compiler ?? Compiler);
    }

    /// <summary>The only health check of <paramref name="text"/>, which must compile without errors.</summary>
    public static CompiledHealthCheck Check(string text)
    {
        var pass = Compile(text);
        Assert.False(pass.Result.HasErrors, Render(pass.Result.Diagnostics));
        return Assert.Single(pass.Checks);
    }

    /// <summary>Diagnostics as <c>phoebe check</c> prints them.</summary>
    public static string Render(IEnumerable<Diagnostic> diagnostics) => string.Concat(diagnostics.Select(DiagnosticRenderer.Render));
}
