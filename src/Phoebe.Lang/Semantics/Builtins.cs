namespace Phoebe.Lang.Semantics;

/// <summary>When a term's value is known: never (constant), at each call, or once per tick.</summary>
[Flags]
public enum TermKind
{
    /// <summary>Known when the file is checked.</summary>
    Constant = 0,
    /// <summary>Decided at each call: arguments, path, pid, call number, chance.</summary>
    PerCall = 1,
    /// <summary>Decided once per monitoring tick: rate, observed.*, elapsed.</summary>
    Control = 2,
}

/// <summary>The names a rule condition can use.</summary>
public enum Builtin
{
    /// <summary>Syscall argument 0.</summary>
    Arg0,
    /// <summary>Syscall argument 1.</summary>
    Arg1,
    /// <summary>Syscall argument 2.</summary>
    Arg2,
    /// <summary>Syscall argument 3.</summary>
    Arg3,
    /// <summary>Syscall argument 4.</summary>
    Arg4,
    /// <summary>Syscall argument 5.</summary>
    Arg5,
    /// <summary>The file descriptor the call operates on.</summary>
    Fd,
    /// <summary>The path the call names, or the path behind its fd.</summary>
    Path,
    /// <summary>Process id (thread-group id) of the caller.</summary>
    Pid,
    /// <summary>Thread id of the caller.</summary>
    Tid,
    /// <summary>Command name of the caller (/proc/PID/comm).</summary>
    Comm,
    /// <summary>The call's natural result (EXIT only).</summary>
    Retval,
    /// <summary>1-based number of this call among the calls the rule matched by target.</summary>
    Call,
    /// <summary>Injections this rule has made so far.</summary>
    Injected,
    /// <summary>Time since injection started.</summary>
    Elapsed,
    /// <summary>Live error rate of the rule's (syscall, errno) in the current interval.</summary>
    Rate,
    /// <summary>Observed 5th-percentile error rate.</summary>
    ObservedMin,
    /// <summary>Observed mean error rate.</summary>
    ObservedMean,
    /// <summary>Observed 95th-percentile error rate.</summary>
    ObservedMax,
    /// <summary>Observed variance of the error rate.</summary>
    ObservedVar,
    /// <summary>Observed number of such errors.</summary>
    ObservedCount,
}

/// <summary>A name a condition can use, with its type and when it is known.</summary>
public sealed record BuiltinInfo(string Name, Builtin Id, PhbType Type, TermKind Kind, string Description);

/// <summary>The table of names available in conditions.</summary>
public static class Builtins
{
    /// <summary>All names, as written in source.</summary>
    public static IReadOnlyList<BuiltinInfo> All { get; } =
    [
        new("arg0", Builtin.Arg0, PhbType.Int, TermKind.PerCall, "syscall argument 0, as the kernel sees it (int parameters are 32-bit)"),
        new("arg1", Builtin.Arg1, PhbType.Int, TermKind.PerCall, "syscall argument 1"),
        new("arg2", Builtin.Arg2, PhbType.Int, TermKind.PerCall, "syscall argument 2"),
        new("arg3", Builtin.Arg3, PhbType.Int, TermKind.PerCall, "syscall argument 3"),
        new("arg4", Builtin.Arg4, PhbType.Int, TermKind.PerCall, "syscall argument 4"),
        new("arg5", Builtin.Arg5, PhbType.Int, TermKind.PerCall, "syscall argument 5"),
        new("fd", Builtin.Fd, PhbType.Int, TermKind.PerCall, "the file descriptor the call operates on"),
        new("path", Builtin.Path, PhbType.String, TermKind.PerCall, "the path the call names, or the path behind its fd"),
        new("pid", Builtin.Pid, PhbType.Int, TermKind.PerCall, "process id of the caller"),
        new("tid", Builtin.Tid, PhbType.Int, TermKind.PerCall, "thread id of the caller"),
        new("comm", Builtin.Comm, PhbType.String, TermKind.PerCall, "command name of the caller"),
        new("retval", Builtin.Retval, PhbType.Int, TermKind.PerCall, "the call's natural result (EXIT rules only)"),
        new("call", Builtin.Call, PhbType.Int, TermKind.PerCall, "1-based number of this call of the rule's syscalls"),
        new("injected", Builtin.Injected, PhbType.Int, TermKind.PerCall, "injections this rule has made so far"),
        new("elapsed", Builtin.Elapsed, PhbType.Duration, TermKind.Control, "time since injection started"),
        new("rate", Builtin.Rate, PhbType.Float, TermKind.Control, "live error rate of the rule's (syscall, errno) this interval"),
        new("observed.min", Builtin.ObservedMin, PhbType.Float, TermKind.Control, "observed 5th-percentile error rate"),
        new("observed.mean", Builtin.ObservedMean, PhbType.Float, TermKind.Control, "observed mean error rate"),
        new("observed.max", Builtin.ObservedMax, PhbType.Float, TermKind.Control, "observed 95th-percentile error rate"),
        new("observed.var", Builtin.ObservedVar, PhbType.Float, TermKind.Control, "variance of the observed error rate"),
        new("observed.count", Builtin.ObservedCount, PhbType.Int, TermKind.Control, "observed number of such errors"),
    ];

    private static readonly Dictionary<string, BuiltinInfo> ByName = All.ToDictionary(b => b.Name, StringComparer.Ordinal);

    /// <summary>Looks up a (dotted) name.</summary>
    public static BuiltinInfo? Lookup(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The info of a builtin.</summary>
    public static BuiltinInfo Get(Builtin id) => All[(int)id];
}
