using Phoebe.Lang.Plan;

namespace Phoebe.Runtime.Health;

/// <summary>
/// A health check ready to run: its plan (name, location, EVERY, TIMEOUT) and the
/// compiled body. Run it with <see cref="HealthRunner"/>, never directly: the
/// runner gives it its own thread, enforces the TIMEOUT and contains exceptions.
/// </summary>
public sealed class CompiledHealthCheck
{
    internal CompiledHealthCheck(HealthCheckPlan plan, Func<HealthContext, Task<HealthResult?>> body)
    {
        Plan = plan;
        Body = body;
    }

    /// <summary>The check as the language planned it.</summary>
    public HealthCheckPlan Plan { get; }

    /// <summary>The check's name.</summary>
    public string Name => Plan.Name;

    /// <summary>How long one run may take.</summary>
    public TimeSpan Timeout => Plan.Timeout;

    /// <summary>How often the check runs.</summary>
    public TimeSpan Every => Plan.Every;

    internal Func<HealthContext, Task<HealthResult?>> Body { get; }

    /// <summary>
    /// A check whose body is a .NET delegate rather than C# source: for orchestrators'
    /// tests and for checks Phoebe itself defines. It runs exactly like a compiled one.
    /// </summary>
    public static CompiledHealthCheck FromDelegate(HealthCheckPlan plan, Func<HealthContext, Task<HealthResult?>> body)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(body);
        return new CompiledHealthCheck(plan, body);
    }

    /// <inheritdoc/>
    public override string ToString() => $"health check {Name} ({Plan.Location})";
}
