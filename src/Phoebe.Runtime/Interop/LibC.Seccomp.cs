using System.Runtime.InteropServices;

namespace Phoebe.Runtime.Interop;

/// <summary>seccomp user notification: the listener's ioctls, pidfds and poll.</summary>
internal static partial class LibC
{
    private const long SYS_seccomp = 317;
    private const long SYS_pidfd_open = 434;
    private const long SYS_pidfd_getfd = 438;
    private const int SECCOMP_GET_NOTIF_SIZES = 3;

    // _IOWR('!', 0, struct seccomp_notif), _IOWR('!', 1, struct seccomp_notif_resp), _IOW('!', 2, __u64)
    public const uint SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100;
    public const uint SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101;
    public const uint SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102;
    public const uint SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;

    public const short POLLIN = 0x001;
    public const short POLLHUP = 0x010;

    [LibraryImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, ulong request, void* argument);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }

    [LibraryImport(Name, EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    private static unsafe partial long Syscall3Ptr(long number, long a, long b, void* c);

    /// <summary>A pidfd for <paramref name="pid"/>, or -1.</summary>
    public static int PidfdOpen(int pid) => (int)Syscall3(SYS_pidfd_open, pid, 0, 0);

    /// <summary>A copy, in this process, of file descriptor <paramref name="fd"/> of the process behind <paramref name="pidfd"/>, or -1.</summary>
    public static int PidfdGetFd(int pidfd, int fd) => (int)Syscall3(SYS_pidfd_getfd, pidfd, fd, 0);

    /// <summary>The kernel's sizes of seccomp_notif, seccomp_notif_resp and seccomp_data.</summary>
    public static unsafe bool NotifSizes(out ushort notif, out ushort resp, out ushort data)
    {
        ushort* sizes = stackalloc ushort[3];
        long rc = Syscall3Ptr(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes);
        notif = sizes[0];
        resp = sizes[1];
        data = sizes[2];
        return rc == 0;
    }
}
