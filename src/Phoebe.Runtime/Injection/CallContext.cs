namespace Phoebe.Runtime.Injection;

/// <summary>
/// What a per-call condition can read about one syscall invocation. Implemented by the
/// engine over a stopped thread; values that cost a system call to obtain (<see cref="Path"/>,
/// <see cref="Comm"/>) should be fetched lazily and at most once: the evaluator reads a
/// value only when the condition reaches it, after <c>&amp;&amp;</c>/<c>||</c> short-circuiting.
/// </summary>
public interface ICallContext
{
    /// <summary>Thread-group id of the caller (<c>pid</c>).</summary>
    int Pid { get; }

    /// <summary>Thread id of the caller (<c>tid</c>).</summary>
    int Tid { get; }

    /// <summary>Raw register value of syscall argument <paramref name="index"/>, 0..5 (<c>arg0</c>..<c>arg5</c>).</summary>
    long Argument(int index);

    /// <summary>The file descriptor the call operates on (<c>fd</c>); null when the syscall has no fd argument.</summary>
    long? Fd { get; }

    /// <summary>
    /// The path the call names, or the path behind its fd (<c>path</c>); null when unavailable
    /// (no path or fd argument, or the target's memory or <c>/proc</c> entry could not be read).
    /// </summary>
    string? Path { get; }

    /// <summary>Command name of the caller (<c>comm</c>).</summary>
    string Comm { get; }

    /// <summary>The call's natural result (<c>retval</c>); null at ENTRY.</summary>
    long? Retval { get; }

    /// <summary>1-based count of calls for (rule, syscall), including this one (<c>call</c>).</summary>
    long Call { get; }

    /// <summary>Injections the rule has made so far (<c>injected</c>).</summary>
    long Injected { get; }
}

/// <summary>Values decided once per monitoring tick: the control terms of a condition.</summary>
public interface IControlContext
{
    /// <summary>Time since injection started (<c>elapsed</c>).</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Live error rate of the rule's (syscall, errno) in the current interval (<c>rate</c>).</summary>
    double Rate { get; }

    /// <summary>Observed 5th-percentile error rate (<c>observed.min</c>).</summary>
    double ObservedMin { get; }

    /// <summary>Observed mean error rate (<c>observed.mean</c>).</summary>
    double ObservedMean { get; }

    /// <summary>Observed 95th-percentile error rate (<c>observed.max</c>).</summary>
    double ObservedMax { get; }

    /// <summary>Observed variance of the error rate (<c>observed.var</c>).</summary>
    double ObservedVar { get; }

    /// <summary>Observed number of such errors (<c>observed.count</c>).</summary>
    long ObservedCount { get; }
}
