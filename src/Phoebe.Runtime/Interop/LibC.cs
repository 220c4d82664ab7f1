using System.Runtime.InteropServices;

namespace Phoebe.Runtime.Interop;

/// <summary>Errno helpers shared by the interop files.</summary>
internal static partial class LibC
{
    internal const string Name = "libc";

    /// <summary>The errno of the last P/Invoke that set it.</summary>
    public static int LastErrno => Marshal.GetLastPInvokeError();

    [LibraryImport(Name, EntryPoint = "strerror")]
    private static partial IntPtr StrErrorNative(int errnum);

    /// <summary>The C library's message for an errno.</summary>
    public static string StrError(int errno) => Marshal.PtrToStringUTF8(StrErrorNative(errno)) ?? $"errno {errno}";

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
}
