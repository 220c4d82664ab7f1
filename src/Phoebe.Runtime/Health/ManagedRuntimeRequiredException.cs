namespace Phoebe.Runtime.Health;

/// <summary>
/// C# health checks were met by a Native AOT build of Phoebe: Roslyn compiles them to IL at run time, which
/// only a JIT can run. The CLI hands the command to the managed build of Phoebe when it catches this.
/// </summary>
public sealed class ManagedRuntimeRequiredException()
    : Exception("HEALTH checks need the managed (JIT) build of Phoebe: Roslyn's output cannot run in an ahead-of-time compiled program");
