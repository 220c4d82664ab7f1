using System.Reflection;
using System.Runtime.Loader;

namespace Phoebe.Runtime.Health;

/// <summary>
/// A compiled check as Roslyn emitted it: the assembly's bytes and its entry point,
/// Roslyn scripting's submission factory <c>Task&lt;T&gt; Factory(object[] submissionArray)</c>.
/// Running it needs no Roslyn, which is what lets the disk cache skip the compiler.
/// </summary>
internal sealed class HealthAssembly(byte[] image, string typeName, string methodName)
{
    public byte[] Image { get; } = image;

    public string TypeName { get; } = typeName;

    public string MethodName { get; } = methodName;

    /// <summary>Loads the assembly (into a context of its own, so that one body loaded twice does not clash) and binds its entry point.</summary>
    public Func<HealthContext, Task<HealthResult?>> Load()
    {
        // Not collectible: a check's code lives as long as the process. Dependencies
        // (Phoebe.Runtime, the framework) come from the default context, so HealthContext is one type.
        var loadContext = new AssemblyLoadContext($"phoebe health {TypeName}");
        var assembly = loadContext.LoadFromStream(new MemoryStream(Image, writable: false));
        var type = assembly.GetType(TypeName, throwOnError: true)!;
        var method = type.GetMethod(MethodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new MissingMethodException(TypeName, MethodName);
        var factory = method.CreateDelegate<Func<object?[], Task<HealthResult?>>>();
        // The submission array: [0] the globals, [1] the state of this (the only) submission.
        return context => factory([context, null]);
    }
}
