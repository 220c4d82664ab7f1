using System.Buffers.Binary;

namespace Phoebe.Runtime.Injection;

/// <summary>What the seccomp filter does with one syscall.</summary>
public readonly record struct SeccompAction(uint Value)
{
    /// <summary>Run the syscall (the default for every unlisted syscall).</summary>
    public static SeccompAction Allow => new(0x7fff0000);

    /// <summary>Stop the thread for the tracer (<c>SECCOMP_RET_TRACE</c>).</summary>
    public static SeccompAction Trace => new(0x7ff00000);

    /// <summary>Fail the syscall in the kernel with <paramref name="errno"/> (<c>SECCOMP_RET_ERRNO</c>).</summary>
    public static SeccompAction Errno(int errno) => new(0x00050000u | (uint)(errno & 0xffff));
}

/// <summary>
/// Builds the classic-BPF seccomp program installed into a launched target:
/// listed syscalls get their action (trace, or fail in the kernel), everything
/// else runs at full speed. Other ABIs (x32, i386 on x86_64) are allowed untouched.
/// </summary>
public static class SeccompFilterBuilder
{
    /// <summary><c>AUDIT_ARCH_X86_64</c>.</summary>
    public const uint AuditArchX86_64 = 0xC000003E;

    private const ushort LdWAbs = 0x20;   // BPF_LD | BPF_W | BPF_ABS
    private const ushort JeqK = 0x15;     // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JgeK = 0x35;     // BPF_JMP | BPF_JGE | BPF_K
    private const ushort RetK = 0x06;     // BPF_RET | BPF_K
    private const uint X32SyscallBit = 0x40000000;

    /// <summary>One BPF instruction (<c>struct sock_filter</c>).</summary>
    public readonly record struct Instruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

    /// <summary>The program for x86_64: syscall number → action, sorted by number.</summary>
    public static IReadOnlyList<Instruction> Build(IReadOnlyDictionary<int, SeccompAction> actions)
    {
        var program = new List<Instruction>
        {
            new(LdWAbs, 0, 0, 4),                   // A = seccomp_data.arch
            new(JeqK, 1, 0, AuditArchX86_64),
            new(RetK, 0, 0, SeccompAction.Allow.Value),
            new(LdWAbs, 0, 0, 0),                   // A = seccomp_data.nr
            new(JgeK, 0, 1, X32SyscallBit),
            new(RetK, 0, 0, SeccompAction.Allow.Value),
        };
        foreach (var (nr, action) in actions.OrderBy(kv => kv.Key))
        {
            if (action == SeccompAction.Allow) continue;
            program.Add(new Instruction(JeqK, 0, 1, (uint)nr));
            program.Add(new Instruction(RetK, 0, 0, action.Value));
        }
        program.Add(new Instruction(RetK, 0, 0, SeccompAction.Allow.Value));
        if (program.Count > 4096) throw new InvalidOperationException($"seccomp program too long ({program.Count} instructions)");
        return program;
    }

    /// <summary>The program as the bytes of a <c>struct sock_filter</c> array (native byte order).</summary>
    public static byte[] Serialize(IReadOnlyList<Instruction> program)
    {
        var bytes = new byte[program.Count * 8];
        for (int i = 0; i < program.Count; i++)
        {
            var span = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(span, program[i].Code);
            span[2] = program[i].JumpTrue;
            span[3] = program[i].JumpFalse;
            BinaryPrimitives.WriteUInt32LittleEndian(span[4..], program[i].K);
        }
        return bytes;
    }
}
