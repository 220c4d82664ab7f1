using System.Runtime.InteropServices;

namespace Phoebe.Runtime.Interop;

/// <summary>Replacing the process image.</summary>
internal static partial class LibC
{
    [LibraryImport(Name, EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ExecvNative(string path, string?[] argv);

    /// <summary>execv(2): returns only on failure, with the errno.</summary>
    public static int Execv(string path, IReadOnlyList<string> argv)
    {
        ExecvNative(path, [.. argv, null]);
        return Marshal.GetLastPInvokeError();
    }
}
