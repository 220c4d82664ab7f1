using System.Collections.Immutable;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Diagnostics;

/// <summary>How bad a diagnostic is.</summary>
public enum Severity
{
    /// <summary>The file cannot be used.</summary>
    Error,
    /// <summary>The file works, but probably not as meant.</summary>
    Warning,
    /// <summary>Extra information.</summary>
    Note,
}

/// <summary>A stable diagnostic code with its severity and a short title.</summary>
public sealed record DiagnosticDescriptor(string Code, Severity Severity, string Title);

/// <summary>A secondary location of a diagnostic, with what it shows.</summary>
public sealed record DiagnosticLabel(SourceText Source, TextSpan Span, string Message);

/// <summary>
/// One problem found in user input: a code, a primary location, a message in the
/// language's words, optional labelled secondary locations and hints.
/// </summary>
public sealed record Diagnostic(
    DiagnosticDescriptor Descriptor,
    SourceText? Source,
    TextSpan Span,
    string Message,
    ImmutableArray<DiagnosticLabel> Labels,
    ImmutableArray<string> Hints)
{
    /// <summary>The diagnostic's severity.</summary>
    public Severity Severity => Descriptor.Severity;

    /// <summary>The stable code, e.g. <c>PHB1001</c>.</summary>
    public string Code => Descriptor.Code;

    /// <summary>The primary location's line and column, when there is a source.</summary>
    public LinePosition? Position => Source?.GetPosition(Span.Start);
}
