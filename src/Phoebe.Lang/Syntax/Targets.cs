namespace Phoebe.Lang.Syntax;

/// <summary>What a rule attaches to.</summary>
public abstract record TargetNode(TextSpan Span) : SyntaxNode(Span);

/// <summary>One syscall by name: <c>openat</c>.</summary>
public sealed record SyscallTarget(Identifier Name) : TargetNode(Name.Span);

/// <summary>A class of syscalls, as strace's <c>%file</c>: <see cref="Name"/> excludes the <c>%</c>.</summary>
public sealed record ClassTarget(Identifier Name, TextSpan Span) : TargetNode(Span);

/// <summary>A library function: <c>malloc@libc</c>.</summary>
public sealed record FunctionTarget(Identifier Function, Identifier Library, TextSpan Span) : TargetNode(Span);
