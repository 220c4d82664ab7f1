using System.Runtime.InteropServices;
using System.Text;

namespace Phoebe.Runtime.Interop;

/// <summary>
/// The bpf(2) and perf_event_open(2) system calls, raw, for the few commands the capability probes need:
/// loading a hand-written program and attaching it. No libbpf: a probe must work where libbpf is not installed.
/// </summary>
internal static unsafe partial class BpfSyscall
{
    // glibc wraps neither call, and the numbers differ per architecture.
    private static readonly long SysBpf = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;
    private static readonly long SysPerfEventOpen = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 241 : 298;

    public const uint BPF_PROG_LOAD = 5;
    public const uint BPF_RAW_TRACEPOINT_OPEN = 17;

    public const uint BPF_PROG_TYPE_KPROBE = 2;
    public const uint BPF_PROG_TYPE_TRACING = 26;
    public const uint BPF_PROG_TYPE_LSM = 29;

    public const uint BPF_TRACE_FENTRY = 24;
    public const uint BPF_LSM_MAC = 27;

    [LibraryImport(LibC.Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall3(long number, long a, void* b, long c);

    [LibraryImport(LibC.Name, EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall5(long number, void* a, long b, long c, long d, long e);

    /// <summary>
    /// The head of <c>union bpf_attr</c> for BPF_PROG_LOAD, up to <c>attach_btf_obj_fd</c>. The kernel accepts a
    /// shorter attr than its own (it zero-fills the rest), so this works from 5.5 to today.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    private struct ProgLoadAttr
    {
        [FieldOffset(0)] public uint ProgType;
        [FieldOffset(4)] public uint InsnCount;
        [FieldOffset(8)] public ulong Insns;
        [FieldOffset(16)] public ulong License;
        [FieldOffset(24)] public uint LogLevel;
        [FieldOffset(28)] public uint LogSize;
        [FieldOffset(32)] public ulong LogBuf;
        [FieldOffset(68)] public uint ExpectedAttachType;
        [FieldOffset(108)] public uint AttachBtfId;
    }

    /// <summary>One BPF instruction: opcode, dst/src registers (4 bits each), offset, immediate.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 8)]
    public readonly struct Instruction
    {
        private readonly byte code;
        private readonly byte registers;
        private readonly short offset;
        private readonly int immediate;

        private Instruction(byte code, int dst, int src, short offset, int immediate)
        {
            this.code = code;
            registers = (byte)((src << 4) | dst);
            this.offset = offset;
            this.immediate = immediate;
        }

        /// <summary><c>dst = imm</c> (64-bit move: BPF_ALU64 | BPF_MOV | BPF_K).</summary>
        public static Instruction MovImmediate(int dst, int imm) => new(0xb7, dst, 0, 0, imm);

        /// <summary>A call of kernel helper <paramref name="helper"/> (BPF_JMP | BPF_CALL), arguments in r1..r5.</summary>
        public static Instruction Call(int helper) => new(0x85, 0, 0, 0, helper);

        /// <summary>Return r0 (BPF_JMP | BPF_EXIT).</summary>
        public static Instruction Exit() => new(0x95, 0, 0, 0, 0);
    }

    /// <summary>
    /// Loads a program (the verifier runs here). Returns its fd, or an invalid handle with <paramref name="errno"/>
    /// set and <paramref name="verifierLog"/> holding what the verifier said (empty when it said nothing).
    /// </summary>
    public static KernelFdHandle ProgLoad(uint progType, uint expectedAttachType, uint attachBtfId, ReadOnlySpan<Instruction> program,
        out int errno, out string verifierLog)
    {
        const int LogSize = 64 * 1024; // a rejected program of a few instructions logs a few hundred bytes
        byte[] license = "GPL\0"u8.ToArray(); // LSM programs and bpf_override_return need a GPL-compatible license
        byte[] log = new byte[LogSize];
        fixed (Instruction* insns = program)
        fixed (byte* licensePtr = license)
        fixed (byte* logPtr = log)
        {
            var attr = new ProgLoadAttr
            {
                ProgType = progType,
                InsnCount = (uint)program.Length,
                Insns = (ulong)insns,
                License = (ulong)licensePtr,
                LogLevel = 1,
                LogSize = LogSize,
                LogBuf = (ulong)logPtr,
                ExpectedAttachType = expectedAttachType,
                AttachBtfId = attachBtfId,
            };
            long fd = Syscall3(SysBpf, BPF_PROG_LOAD, &attr, sizeof(ProgLoadAttr));
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            int length = Array.IndexOf(log, (byte)0);
            verifierLog = Encoding.UTF8.GetString(log, 0, length < 0 ? log.Length : length);
            return new KernelFdHandle((int)Math.Max(fd, -1));
        }
    }

    /// <summary>
    /// Attaches a tracing (fentry/fexit) or LSM program at the kernel function it was loaded for, with
    /// BPF_RAW_TRACEPOINT_OPEN and no tracepoint name (the oldest interface for both: 5.5 and later).
    /// Closing the returned link fd detaches it.
    /// </summary>
    public static KernelFdHandle AttachTracing(KernelFdHandle program, out int errno)
    {
        // struct { __u64 name; __u32 prog_fd; } raw_tracepoint
        ulong* attr = stackalloc ulong[2];
        attr[0] = 0;
        attr[1] = (uint)program.DangerousGetHandle();
        long fd = Syscall3(SysBpf, BPF_RAW_TRACEPOINT_OPEN, attr, 2 * sizeof(ulong));
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        GC.KeepAlive(program);
        return new KernelFdHandle((int)Math.Max(fd, -1));
    }

    /// <summary>
    /// Opens a kprobe on kernel function <paramref name="function"/> through the kprobe PMU (type
    /// <paramref name="pmuType"/> from /sys/bus/event_source/devices/kprobe/type), disabled, on CPU 0.
    /// Closing the fd removes the kprobe.
    /// </summary>
    public static KernelFdHandle PerfEventOpenKprobe(int pmuType, string function, out int errno)
    {
        const int PerfAttrSizeVer5 = 112;
        const ulong Disabled = 1; // the first bit of the flags word
        const long PERF_FLAG_FD_CLOEXEC = 8;
        byte[] name = Encoding.UTF8.GetBytes(function + "\0");
        byte* attr = stackalloc byte[PerfAttrSizeVer5];
        new Span<byte>(attr, PerfAttrSizeVer5).Clear();
        fixed (byte* namePtr = name)
        {
            *(uint*)attr = (uint)pmuType;              // type
            *(uint*)(attr + 4) = PerfAttrSizeVer5;     // size
            *(ulong*)(attr + 40) = Disabled;           // flags
            *(ulong*)(attr + 56) = (ulong)namePtr;     // config1: kprobe_func
            *(ulong*)(attr + 64) = 0;                  // config2: probe_offset
            long fd = Syscall5(SysPerfEventOpen, attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
            return new KernelFdHandle((int)Math.Max(fd, -1));
        }
    }
}

/// <summary>A file descriptor for a kernel object (a BPF program, a BPF link, a perf event): closing it releases the object.</summary>
internal sealed class KernelFdHandle : SafeHandle
{
    public KernelFdHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    protected override bool ReleaseHandle() => LibC.Close((int)handle) == 0;
}
