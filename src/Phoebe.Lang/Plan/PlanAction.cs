namespace Phoebe.Lang.Plan;

/// <summary>A concrete action of a planned rule.</summary>
public abstract record PlanAction;

/// <summary>Fail the call with an errno (the program sees -1 and errno = Number).</summary>
public sealed record ReturnErrnoAction(string Name, int Number) : PlanAction
{
    /// <inheritdoc/>
    public override string ToString() => $"return {Name} (-{Number})";
}

/// <summary>Make the call return a value.</summary>
public sealed record ReturnValueAction(long Value) : PlanAction
{
    /// <inheritdoc/>
    public override string ToString() => $"return {Value}";
}

/// <summary>Delay the calling thread.</summary>
public sealed record DelayPlanAction(TimeSpan Duration, long Nanoseconds) : PlanAction
{
    /// <inheritdoc/>
    public override string ToString() => $"delay {Semantics.Value.FormatDuration(Nanoseconds)}";
}

/// <summary>Deliver a signal to the calling thread.</summary>
public sealed record SignalPlanAction(string Name, int Number) : PlanAction
{
    /// <inheritdoc/>
    public override string ToString() => $"signal {Name} ({Number})";
}

/// <summary>Write an event.</summary>
public sealed record LogPlanAction(string Message) : PlanAction
{
    /// <inheritdoc/>
    public override string ToString() => $"log {Semantics.Value.Quote(Message)}";
}
