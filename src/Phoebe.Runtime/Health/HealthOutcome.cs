namespace Phoebe.Runtime.Health;

/// <summary>How a run of a health check ended.</summary>
public enum HealthStatus
{
    /// <summary>The check returned true or a healthy result.</summary>
    Healthy,

    /// <summary>The check returned false or an unhealthy result.</summary>
    Unhealthy,

    /// <summary>The check threw, or returned no result.</summary>
    Failed,

    /// <summary>The check did not finish within its TIMEOUT.</summary>
    TimedOut,

    /// <summary>The check was not started: an earlier run of it is still running (it ignored cancellation).</summary>
    NotStarted,

    /// <summary>The run was stopped from outside (the experiment ended) before the check finished.</summary>
    Cancelled,
}

/// <summary>
/// The outcome of one run of a health check. Only <see cref="HealthStatus.Healthy"/>
/// counts as healthy: exceptions, timeouts and runs that could not start count as failed.
/// </summary>
/// <param name="Name">The check's name.</param>
/// <param name="Status">How the run ended.</param>
/// <param name="Value">The value the check measured, if it returned one.</param>
/// <param name="Message">The check's message, or what went wrong (exception type and message, timeout).</param>
/// <param name="Duration">From start until the check finished, or until the runner stopped waiting.</param>
/// <param name="Exception">The exception the check threw, if it did.</param>
/// <param name="StillRunning">True when the check's code had not stopped when the runner stopped waiting.</param>
/// <param name="Log">The lines the check wrote with <c>Log</c>.</param>
public sealed record HealthOutcome(
    string Name,
    HealthStatus Status,
    double? Value,
    string? Message,
    TimeSpan Duration,
    Exception? Exception,
    bool StillRunning,
    IReadOnlyList<string> Log)
{
    /// <summary>True only for a healthy result.</summary>
    public bool Ok => Status == HealthStatus.Healthy;

    /// <summary>True when the check exceeded its TIMEOUT.</summary>
    public bool TimedOut => Status == HealthStatus.TimedOut;

    /// <inheritdoc/>
    public override string ToString()
    {
        string text = $"{Name}: {Status switch
        {
            HealthStatus.Healthy => "healthy",
            HealthStatus.Unhealthy => "unhealthy",
            HealthStatus.Failed => "failed",
            HealthStatus.TimedOut => "timed out",
            HealthStatus.NotStarted => "not started",
            _ => "cancelled",
        }}";
        if (Value is { } v) text += $" {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (!string.IsNullOrEmpty(Message)) text += $": {Message}";
        return text + $" ({HealthRunner.Format(Duration)})";
    }
}
