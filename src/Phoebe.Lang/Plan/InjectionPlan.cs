using System.Collections.Immutable;
using Phoebe.Lang.Semantics;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Plan;

/// <summary>
/// What the runtime executes: checked rules lowered to resolved syscalls,
/// typed filter and control expressions, concrete actions and a backend choice.
/// The runtime consumes plans, never syntax trees.
/// </summary>
public sealed record InjectionPlan(ImmutableArray<RulePlan> Rules, ImmutableArray<HealthCheckPlan> HealthChecks);

/// <summary>A place in a source file, 1-based.</summary>
public sealed record SourceLocation(string Path, int Line, int Column)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}:{Line}:{Column}";
}

/// <summary>How wide an argument is for the kernel, so that <c>argN</c> is the value the kernel sees.</summary>
public enum ArgumentKind
{
    /// <summary>A full 64-bit register (longs, pointers, sizes, unknown types).</summary>
    Full64,
    /// <summary>A C <c>int</c> (or pid_t, ...): the low 32 bits, sign-extended (AT_FDCWD is -100).</summary>
    Signed32,
    /// <summary>An <c>unsigned int</c> (or uid_t, mode_t, ...): the low 32 bits, zero-extended.</summary>
    Unsigned32,
}

/// <summary>
/// A syscall with its numbers per architecture, which argument holds the file
/// descriptor it operates on and the path it names (for <c>fd</c> and <c>path</c>),
/// and the width of each of its six arguments (for <c>arg0</c>..<c>arg5</c>).
/// </summary>
public sealed record SyscallRef(string Name, int? X86_64, int? Aarch64, int? FdArgument, int? PathArgument,
    ImmutableArray<ArgumentKind> ArgumentKinds)
{
    /// <summary>The value the kernel sees for argument <paramref name="index"/> given the raw register.</summary>
    public long Normalize(int index, long raw) => ArgumentKinds.IsDefaultOrEmpty || index >= ArgumentKinds.Length
        ? raw
        : ArgumentKinds[index] switch
        {
            ArgumentKind.Signed32 => (int)raw,
            ArgumentKind.Unsigned32 => (uint)raw,
            _ => raw,
        };
}

/// <summary>A library function target (checked, not injectable yet).</summary>
public sealed record FunctionRef(string Function, string Library);

/// <summary>Mechanisms that can run a rule, fastest first.</summary>
public enum Backend
{
    /// <summary>seccomp <c>SECCOMP_RET_ERRNO</c>: the kernel fails the call, no round trip.</summary>
    SeccompErrno,
    /// <summary>seccomp user notification: a supervisor answers ENTRY calls.</summary>
    SeccompNotify,
    /// <summary>ptrace syscall stops (after a seccomp <c>RET_TRACE</c> filter where possible).</summary>
    Ptrace,
    /// <summary>Library interposition (LD_PRELOAD); not implemented yet.</summary>
    Preload,
}

/// <summary>A backend that can run a rule and why it fits.</summary>
public sealed record BackendChoice(Backend Backend, string Reason);

/// <summary>
/// One rule, ready to run. <see cref="Filter"/> is decided at each call,
/// <see cref="Control"/> once per tick; both null means "always".
/// <see cref="Errno"/> is the errno whose rate <c>rate</c>/<c>observed.*</c> refer to.
/// </summary>
public sealed record RulePlan(
    string Name,
    SourceLocation Location,
    ImmutableArray<SyscallRef> Syscalls,
    ImmutableArray<FunctionRef> Functions,
    Phase Phase,
    PlanExpr? Filter,
    PlanExpr? Control,
    ImmutableArray<PlanAction> Actions,
    string? Errno,
    ImmutableArray<BackendChoice> Backends);

/// <summary>
/// A health check: C# to compile later. <see cref="BodyLocation"/> is where the
/// body starts in the .phb file, so compile errors can be mapped back.
/// </summary>
public sealed record HealthCheckPlan(
    string Name,
    SourceLocation Location,
    string Body,
    SourceLocation BodyLocation,
    TimeSpan Every,
    TimeSpan Timeout);
