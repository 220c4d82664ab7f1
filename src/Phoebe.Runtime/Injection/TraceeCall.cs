using Phoebe.Lang.Plan;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// One syscall of a stopped thread, as conditions see it. Values that cost a
/// system call (the path, the command name) are read on first use only.
/// </summary>
internal sealed class TraceeCall : ICallContext
{
    private readonly UserRegs regs;
    private readonly SyscallRef? syscall;
    private string? path;
    private bool pathRead;
    private string? comm;

    public TraceeCall(int pid, int tid, in UserRegs regs, SyscallRef? syscall, long? retval)
    {
        Pid = pid;
        Tid = tid;
        this.regs = regs;
        this.syscall = syscall;
        Retval = retval;
    }

    public int Pid { get; }

    public int Tid { get; }

    public long? Retval { get; }

    public long Call { get; set; }

    public long Injected { get; set; }

    /// <summary>Argument <paramref name="index"/> as the kernel sees it (int arguments are 32-bit).</summary>
    public long Argument(int index) => syscall?.Normalize(index, regs.Argument(index)) ?? regs.Argument(index);

    public long[] Arguments() => [Argument(0), Argument(1), Argument(2), Argument(3), Argument(4), Argument(5)];

    public long? Fd => syscall?.FdArgument is { } i ? (int)regs.Argument(i) : null;

    public string? Path
    {
        get
        {
            if (pathRead) return path;
            pathRead = true;
            if (syscall?.PathArgument is { } p)
            {
                path = LibC.ReadCString(Tid, (ulong)regs.Argument(p));
            }
            else if (Fd is { } fd && fd >= 0)
            {
                try
                {
                    path = new FileInfo($"/proc/{Pid}/fd/{fd}").LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    path = null;
                }
            }
            return path;
        }
    }

    public string Comm
    {
        get
        {
            if (comm != null) return comm;
            try
            {
                comm = File.ReadAllText($"/proc/{Pid}/task/{Tid}/comm").TrimEnd('\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                comm = "";
            }
            return comm;
        }
    }
}
