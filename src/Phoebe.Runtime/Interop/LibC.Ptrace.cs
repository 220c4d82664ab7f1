using System.Runtime.InteropServices;

namespace Phoebe.Runtime.Interop;

/// <summary>ptrace(2) requests, options and events (x86_64 and generic values).</summary>
internal static partial class LibC
{
    public const int PTRACE_CONT = 7;
    public const int PTRACE_DETACH = 17;
    public const int PTRACE_GETREGS = 12;
    public const int PTRACE_SETREGS = 13;
    public const int PTRACE_SYSCALL = 24;
    public const int PTRACE_SETOPTIONS = 0x4200;
    public const int PTRACE_GETEVENTMSG = 0x4201;
    public const int PTRACE_SEIZE = 0x4206;
    public const int PTRACE_INTERRUPT = 0x4207;
    public const int PTRACE_LISTEN = 0x4208;
    public const int PTRACE_GET_SYSCALL_INFO = 0x420e;

    public const byte PTRACE_SYSCALL_INFO_ENTRY = 1;
    public const byte PTRACE_SYSCALL_INFO_EXIT = 2;

    public const int PTRACE_O_TRACESYSGOOD = 0x1;
    public const int PTRACE_O_TRACEFORK = 0x2;
    public const int PTRACE_O_TRACEVFORK = 0x4;
    public const int PTRACE_O_TRACECLONE = 0x8;
    public const int PTRACE_O_TRACEEXEC = 0x10;
    public const int PTRACE_O_TRACESECCOMP = 0x80;
    public const int PTRACE_O_EXITKILL = 0x100000;

    public const int PTRACE_EVENT_FORK = 1;
    public const int PTRACE_EVENT_VFORK = 2;
    public const int PTRACE_EVENT_CLONE = 3;
    public const int PTRACE_EVENT_EXEC = 4;
    public const int PTRACE_EVENT_VFORK_DONE = 5;
    public const int PTRACE_EVENT_EXIT = 6;
    public const int PTRACE_EVENT_SECCOMP = 7;
    public const int PTRACE_EVENT_STOP = 128;

    [LibraryImport(Name, EntryPoint = "ptrace", SetLastError = true)]
    private static partial long PtraceNative(long request, int pid, IntPtr addr, IntPtr data);

    /// <summary>Calls ptrace; returns -1 and sets errno on failure.</summary>
    public static long Ptrace(int request, int pid, IntPtr addr, IntPtr data) => PtraceNative(request, pid, addr, data);

    /// <summary>Reads a stopped tracee's general registers.</summary>
    public static unsafe bool GetRegs(int tid, out UserRegs regs)
    {
        UserRegs r;
        long rc = PtraceNative(PTRACE_GETREGS, tid, IntPtr.Zero, (IntPtr)(&r));
        regs = r;
        return rc != -1;
    }

    /// <summary>Writes a stopped tracee's general registers.</summary>
    public static unsafe bool SetRegs(int tid, in UserRegs regs)
    {
        UserRegs r = regs;
        return PtraceNative(PTRACE_SETREGS, tid, IntPtr.Zero, (IntPtr)(&r)) != -1;
    }

    /// <summary>
    /// The kind of syscall stop a thread is in (<c>PTRACE_SYSCALL_INFO_ENTRY</c>,
    /// <c>_EXIT</c>, ...; 0 when unknown), from <c>PTRACE_GET_SYSCALL_INFO</c> (Linux 5.3).
    /// </summary>
    public static unsafe byte SyscallStopKind(int tid)
    {
        byte* info = stackalloc byte[96];
        long rc = PtraceNative(PTRACE_GET_SYSCALL_INFO, tid, 96, (IntPtr)info);
        return rc <= 0 ? (byte)0 : info[0];
    }

    /// <summary>The message of the last ptrace event (a new pid for fork/clone).</summary>
    public static unsafe bool GetEventMessage(int tid, out ulong message)
    {
        ulong m = 0;
        long rc = PtraceNative(PTRACE_GETEVENTMSG, tid, IntPtr.Zero, (IntPtr)(&m));
        message = m;
        return rc != -1;
    }
}

/// <summary>x86_64 <c>struct user_regs_struct</c> (sys/user.h).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UserRegs
{
    public ulong R15, R14, R13, R12, Rbp, Rbx, R11, R10, R9, R8, Rax, Rcx, Rdx, Rsi, Rdi, OrigRax,
        Rip, Cs, Eflags, Rsp, Ss, FsBase, GsBase, Ds, Es, Fs, Gs;

    /// <summary>Registers holding the given syscall arguments (for calls seen through seccomp notifications).</summary>
    public static UserRegs FromArguments(ReadOnlySpan<ulong> args) => new()
    {
        Rdi = args[0],
        Rsi = args[1],
        Rdx = args[2],
        R10 = args[3],
        R8 = args[4],
        R9 = args[5],
    };

    /// <summary>Syscall argument <paramref name="index"/> (x86_64 syscall ABI: rdi rsi rdx r10 r8 r9).</summary>
    public readonly long Argument(int index) => (long)(index switch
    {
        0 => Rdi,
        1 => Rsi,
        2 => Rdx,
        3 => R10,
        4 => R8,
        _ => R9,
    });
}
