using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Health;

/// <summary>
/// The script Roslyn compiles for a HEALTH body. Top-level script code cannot hold
/// <c>using var</c> declarations (its locals are fields), and users write them, so the
/// body becomes the body of an async method that the script calls:
/// <code>
/// [the body's leading using directives]
/// async Task&lt;HealthResult&gt; __PhoebeHealthCheck() {
/// [the rest of the body, verbatim]
/// }
/// return await __PhoebeHealthCheck();
/// </code>
/// A method body also makes the compiler check that every path returns (CS0161).
/// The body's text is kept verbatim, so spans map back by subtracting the inserted text.
/// </summary>
internal sealed class HealthScriptText
{
    /// <summary>The method the body becomes; it appears in stack traces.</summary>
    public const string MethodName = "__PhoebeHealthCheck";

    private const string Open = "\nasync global::System.Threading.Tasks.Task<global::Phoebe.Runtime.Health.HealthResult> " + MethodName + "()\n{\n";
    private const string Close = "\n}\nreturn await " + MethodName + "();\n";

    private readonly int split;
    private readonly int bodyLength;

    private HealthScriptText(string body, int split)
    {
        this.split = split;
        bodyLength = body.Length;
        Text = string.Concat(body.AsSpan(0, split), Open, body.AsSpan(split), Close);
    }

    /// <summary>The script to compile.</summary>
    public string Text { get; }

    /// <summary>Wraps <paramref name="body"/>; its <c>using</c> directives, if it starts with some, stay at the top.</summary>
    public static HealthScriptText Wrap(string body, CSharpParseOptions options)
    {
        var root = (Microsoft.CodeAnalysis.CSharp.Syntax.CompilationUnitSyntax)CSharpSyntaxTree.ParseText(body, options).GetRoot();
        // Script parsing reads `using var x = ...;` (and `await using`) as a broken using directive:
        // only well-formed directives stay outside the method.
        int split = 0;
        foreach (var directive in root.Usings)
        {
            if (directive.ContainsDiagnostics) break;
            split = directive.FullSpan.End;
        }
        return new HealthScriptText(body, split);
    }

    /// <summary>The span in the body of a span in the script (clamped to the body).</summary>
    public TextSpan ToBody(Microsoft.CodeAnalysis.Text.TextSpan span)
    {
        int start = ToBody(span.Start);
        int end = Math.Max(start, ToBody(span.End));
        return TextSpan.FromBounds(start, end);
    }

    private int ToBody(int offset)
    {
        if (offset <= split) return offset;
        if (offset < split + Open.Length) return split;
        return Math.Min(offset - Open.Length, bodyLength);
    }
}
