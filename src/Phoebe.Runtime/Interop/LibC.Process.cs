using System.Runtime.InteropServices;

namespace Phoebe.Runtime.Interop;

/// <summary>Process creation, waiting and signals.</summary>
internal static partial class LibC
{
    public const int WNOHANG = 1;
    public const int __WALL = 0x40000000;

    public const int SIGKILL = 9;
    public const int SIGTRAP = 5;
    public const int SIGSTOP = 19;
    public const int SIGTSTP = 20;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;

    [LibraryImport(Name, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);

    /// <summary>The effective user id (a real system call every time: glibc does not cache it).</summary>
    [LibraryImport(Name, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(Name, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall3(long number, long a, long b, long c);

    private const long SYS_tgkill = 234;

    /// <summary>Sends a signal to one thread.</summary>
    public static int TgKill(int tgid, int tid, int signal) => (int)Syscall3(SYS_tgkill, tgid, tid, signal);

    [LibraryImport(Name, EntryPoint = "posix_spawnp", SetLastError = true)]
    private static unsafe partial int PosixSpawnP(out int pid, byte* file, IntPtr fileActions, IntPtr attributes, byte** argv, byte** envp);

    /// <summary>
    /// Starts a program with posix_spawnp (no managed code runs in the child).
    /// Returns 0 and the pid, or the error number.
    /// </summary>
    public static unsafe int Spawn(string file, IReadOnlyList<string> argv, IReadOnlyList<string> env, out int pid)
    {
        var allocations = new List<IntPtr>();
        try
        {
            byte* filePtr = Utf8(file, allocations);
            byte** args = Array(argv, allocations);
            byte** envp = Array(env, allocations);
            return PosixSpawnP(out pid, filePtr, IntPtr.Zero, IntPtr.Zero, args, envp);
        }
        finally
        {
            foreach (var p in allocations) Marshal.FreeHGlobal(p);
        }
    }

    private static unsafe byte* Utf8(string s, List<IntPtr> allocations)
    {
        int len = System.Text.Encoding.UTF8.GetByteCount(s);
        var h = Marshal.AllocHGlobal(len + 1);
        allocations.Add(h);
        var bytes = new Span<byte>((void*)h, len + 1);
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        bytes[len] = 0;
        return (byte*)h;
    }

    private static unsafe byte** Array(IReadOnlyList<string> items, List<IntPtr> allocations)
    {
        var block = Marshal.AllocHGlobal(IntPtr.Size * (items.Count + 1));
        allocations.Add(block);
        var ptrs = (byte**)block;
        for (int i = 0; i < items.Count; i++) ptrs[i] = Utf8(items[i], allocations);
        ptrs[items.Count] = null;
        return ptrs;
    }

    public static bool WIfExited(int status) => (status & 0x7f) == 0;
    public static int WExitStatus(int status) => (status >> 8) & 0xff;
    public static bool WIfSignaled(int status) => (status & 0x7f) is not 0 and not 0x7f;
    public static int WTermSig(int status) => status & 0x7f;
    public static bool WIfStopped(int status) => (status & 0xff) == 0x7f;
    public static int WStopSig(int status) => (status >> 8) & 0xff;
    /// <summary>The ptrace event of a stop (status &gt;&gt; 16), 0 when none.</summary>
    public static int PtraceEvent(int status) => (status >> 16) & 0xff;
}
