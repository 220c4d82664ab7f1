namespace Phoebe.Runtime.Health;

/// <summary>
/// What a health check returns: healthy or not, an optional measured value (a
/// latency, a queue length) and an optional message. A check may also return a
/// plain <c>bool</c>, which converts to a result without value or message.
/// </summary>
/// <param name="Ok">True when the target is healthy.</param>
/// <param name="Value">A number the check measured, for reports and tolerances.</param>
/// <param name="Message">What the check saw, in a few words.</param>
public sealed record HealthResult(bool Ok, double? Value = null, string? Message = null)
{
    private static readonly HealthResult HealthyResult = new(true);
    private static readonly HealthResult UnhealthyResult = new(false);

    /// <summary>A healthy result, optionally with a measured value and a message.</summary>
    public static HealthResult Healthy(double? value = null, string? message = null) =>
        value is null && message is null ? HealthyResult : new(true, value, message);

    /// <summary>An unhealthy result saying why, optionally with a measured value.</summary>
    public static HealthResult Unhealthy(string message, double? value = null) => new(false, value, message);

    /// <summary><c>return true;</c> and <c>return false;</c> in a health check.</summary>
    public static implicit operator HealthResult(bool ok) => ok ? HealthyResult : UnhealthyResult;

    /// <inheritdoc/>
    public override string ToString()
    {
        string text = Ok ? "healthy" : "unhealthy";
        if (Value is { } v) text += $" {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        if (!string.IsNullOrEmpty(Message)) text += $": {Message}";
        return text;
    }
}
