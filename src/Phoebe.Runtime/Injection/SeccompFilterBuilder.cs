using System.Buffers.Binary;

namespace Phoebe.Runtime.Injection;

/// <summary>What the seccomp filter does with one syscall.</summary>
public readonly record struct SeccompAction(uint Value)
{
    /// <summary>Run the syscall (the default for every unlisted syscall).</summary>
    public static SeccompAction Allow => new(0x7fff0000);

    /// <summary>Stop the thread for the tracer (<c>SECCOMP_RET_TRACE</c>).</summary>
    public static SeccompAction Trace => new(0x7ff00000);

    /// <summary>Suspend the thread and ask the supervisor (<c>SECCOMP_RET_USER_NOTIF</c>).</summary>
    public static SeccompAction UserNotif => new(0x7fc00000);

    /// <summary>Fail the syscall in the kernel with <paramref name="errno"/> (<c>SECCOMP_RET_ERRNO</c>).</summary>
    public static SeccompAction Errno(int errno) => new(0x00050000u | (uint)(errno & 0xffff));
}

/// <summary>
/// <c>argN == Value</c>, tested by the kernel on the 64-bit register, or on its low
/// 32 bits only for <c>int</c>-typed arguments (the kernel ignores the high half there).
/// </summary>
public readonly record struct ArgumentEquals(int Argument, ulong Value, bool LowWordOnly)
{
    /// <summary>BPF instructions this test takes.</summary>
    public int Length => LowWordOnly ? 2 : 4;
}

/// <summary>An ENTRY errno rule the kernel decides: all conditions hold → fail with the errno.</summary>
public sealed record KernelRule(IReadOnlyList<ArgumentEquals> Conditions, int Errno);

/// <summary>
/// What the filter does with one syscall: the kernel rules in order (the first that
/// matches fails the call), then <see cref="Otherwise"/>.
/// </summary>
public sealed record SyscallFilter(IReadOnlyList<KernelRule> Rules, SeccompAction Otherwise);

/// <summary>
/// Builds the classic-BPF seccomp program installed into a launched target:
/// listed syscalls are failed in the kernel or stopped for the tracer, everything
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
    private const uint ArgsOffset = 16;   // offsetof(struct seccomp_data, args)

    /// <summary>One BPF instruction (<c>struct sock_filter</c>).</summary>
    public readonly record struct Instruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

    /// <summary>
    /// Longest per-syscall block a conditional jump can skip; a syscall whose kernel
    /// rules need more is stopped for the tracer instead (<see cref="Fits"/>).
    /// </summary>
    public const int MaxBlock = 255;

    /// <summary>True when the kernel rules of one syscall fit in a block.</summary>
    public static bool Fits(SyscallFilter filter) => BlockLength(filter) <= MaxBlock;

    private static int BlockLength(SyscallFilter filter) => filter.Rules.Sum(RuleLength) + 1;

    private static int RuleLength(KernelRule rule) => rule.Conditions.Sum(c => c.Length) + 1;

    /// <summary>The program for x86_64.</summary>
    public static IReadOnlyList<Instruction> Build(IReadOnlyDictionary<int, SyscallFilter> filters)
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
        foreach (var (nr, filter) in filters.OrderBy(kv => kv.Key))
        {
            if (filter.Rules.Count == 0)
            {
                if (filter.Otherwise == SeccompAction.Allow) continue;
                program.Add(new Instruction(JeqK, 0, 1, (uint)nr));
                program.Add(new Instruction(RetK, 0, 0, filter.Otherwise.Value));
                continue;
            }
            int block = BlockLength(filter);
            if (block > MaxBlock) throw new ArgumentException($"the kernel rules of syscall {nr} need {block} instructions (at most {MaxBlock})");
            program.Add(new Instruction(JeqK, 0, (byte)block, (uint)nr));
            foreach (var rule in filter.Rules)
            {
                int left = RuleLength(rule); // instructions of this rule still to emit
                foreach (var c in rule.Conditions)
                {
                    uint at = ArgsOffset + 8 * (uint)c.Argument;
                    // x86_64 is little-endian: the low word at `at`, the high word at `at + 4`.
                    // A failed test jumps past this rule's `ret` to the next rule.
                    if (!c.LowWordOnly)
                    {
                        program.Add(new Instruction(LdWAbs, 0, 0, at + 4));
                        left--;
                        program.Add(new Instruction(JeqK, 0, (byte)(left - 1), (uint)(c.Value >> 32)));
                        left--;
                    }
                    program.Add(new Instruction(LdWAbs, 0, 0, at));
                    left--;
                    program.Add(new Instruction(JeqK, 0, (byte)(left - 1), (uint)c.Value));
                    left--;
                }
                program.Add(new Instruction(RetK, 0, 0, SeccompAction.Errno(rule.Errno).Value));
            }
            program.Add(new Instruction(RetK, 0, 0, filter.Otherwise.Value));
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
