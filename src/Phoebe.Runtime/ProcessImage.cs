using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime;

/// <summary>Becoming another program in the same process: same pid, signals and exit status for whoever waits.</summary>
public static class ProcessImage
{
    /// <summary>Replaces this process with <paramref name="program"/> (an absolute path) run with <paramref name="argv"/> (argv[0] first).</summary>
    /// <returns>Only on failure: the error, in words.</returns>
    public static string Replace(string program, IReadOnlyList<string> argv)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        return LibC.StrError(LibC.Execv(program, argv));
    }
}
