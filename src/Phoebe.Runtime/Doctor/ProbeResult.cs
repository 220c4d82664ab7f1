namespace Phoebe.Runtime.Doctor;

/// <summary>What trying one mechanism on this machine showed.</summary>
/// <param name="Available">Whether the mechanism worked when tried.</param>
/// <param name="Detail">One short line: what was found, or why it did not work.</param>
public sealed record ProbeResult(bool Available, string Detail);
