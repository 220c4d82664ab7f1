using System.Buffers.Binary;
using System.Text;
using Phoebe.Runtime.Doctor;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Doctor;

/// <summary>
/// The BTF reader: on a hand-built blob holding every kind (a wrong size for any kind shifts every later id), and on
/// the running kernel's BTF, checked against /proc/kallsyms and against the kernel itself.
/// </summary>
public sealed class VmlinuxBtfTests
{
    private static VmlinuxBtf KernelBtf()
    {
        Skip.If(!File.Exists(VmlinuxBtf.DefaultPath), $"no {VmlinuxBtf.DefaultPath}: the kernel has no BTF");
        var btf = VmlinuxBtf.Read(VmlinuxBtf.DefaultPath, out string? error);
        Assert.True(btf is not null, error);
        return btf;
    }

    [Fact]
    public void Every_kind_is_walked_with_its_size()
    {
        var blob = new BtfBlobBuilder();
        blob.Add("int", kind: 1, vlen: 0, sizeOrType: 4, trailing: 4);   // 1 INT
        blob.Add("", kind: 2, vlen: 0, sizeOrType: 1, trailing: 0);      // 2 PTR
        blob.Add("", kind: 3, vlen: 0, sizeOrType: 0, trailing: 12);     // 3 ARRAY
        blob.Add("s", kind: 4, vlen: 2, sizeOrType: 8, trailing: 24);    // 4 STRUCT
        blob.Add("u", kind: 5, vlen: 1, sizeOrType: 4, trailing: 12);    // 5 UNION
        blob.Add("e", kind: 6, vlen: 2, sizeOrType: 4, trailing: 16);    // 6 ENUM
        blob.Add("f", kind: 7, vlen: 0, sizeOrType: 0, trailing: 0);     // 7 FWD
        blob.Add("t", kind: 8, vlen: 0, sizeOrType: 1, trailing: 0);     // 8 TYPEDEF
        blob.Add("", kind: 9, vlen: 0, sizeOrType: 1, trailing: 0);      // 9 VOLATILE
        blob.Add("", kind: 10, vlen: 0, sizeOrType: 1, trailing: 0);     // 10 CONST
        blob.Add("", kind: 11, vlen: 0, sizeOrType: 2, trailing: 0);     // 11 RESTRICT
        blob.Add("", kind: 13, vlen: 3, sizeOrType: 1, trailing: 24);    // 12 FUNC_PROTO
        blob.Add("target", kind: 12, vlen: 0, sizeOrType: 12, trailing: 0); // 13 FUNC
        blob.Add("v", kind: 14, vlen: 0, sizeOrType: 1, trailing: 4);    // 14 VAR
        blob.Add(".data", kind: 15, vlen: 2, sizeOrType: 8, trailing: 24); // 15 DATASEC
        blob.Add("float", kind: 16, vlen: 0, sizeOrType: 4, trailing: 0); // 16 FLOAT
        blob.Add("tag", kind: 17, vlen: 0, sizeOrType: 13, trailing: 4); // 17 DECL_TAG
        blob.Add("tt", kind: 18, vlen: 0, sizeOrType: 2, trailing: 0);   // 18 TYPE_TAG
        blob.Add("e64", kind: 19, vlen: 2, sizeOrType: 8, trailing: 24); // 19 ENUM64
        blob.Add("after", kind: 12, vlen: 0, sizeOrType: 12, trailing: 0); // 20 FUNC

        var btf = VmlinuxBtf.Parse(blob.Build(), out string? error);

        Assert.True(btf is not null, error);
        Assert.Equal(20, btf.TypeCount);
        Assert.Equal(13, btf.FindFunction("target"));
        Assert.Equal(20, btf.FindFunction("after"));
        Assert.Null(btf.FindFunction("int")); // a type, not a function
        Assert.Null(btf.FindFunction("afte")); // a prefix of a name is not the name
    }

    [Fact]
    public void Blobs_that_are_not_walkable_BTF_are_refused_with_the_reason()
    {
        var unknown = new BtfBlobBuilder();
        unknown.Add("int", kind: 1, vlen: 0, sizeOrType: 4, trailing: 4);
        unknown.Add("x", kind: 20, vlen: 0, sizeOrType: 0, trailing: 0);
        Assert.Null(VmlinuxBtf.Parse(unknown.Build(), out string? why));
        Assert.Equal("type 2 has unknown BTF kind 20", why);

        var cut = new BtfBlobBuilder();
        cut.Add("s", kind: 4, vlen: 3, sizeOrType: 8, trailing: 24); // says 3 members, holds 2
        Assert.Null(VmlinuxBtf.Parse(cut.Build(), out why));
        Assert.Equal("type 1 runs past the type section", why);

        byte[] elf = [0x7f, (byte)'E', (byte)'L', (byte)'F', .. new byte[60]];
        Assert.Null(VmlinuxBtf.Parse(elf, out why));
        Assert.StartsWith("not BTF (magic 0x457F", why, StringComparison.Ordinal);

        Assert.Null(VmlinuxBtf.Parse([0x9F, 0xEB], out why));
        Assert.Equal("2 bytes, shorter than a BTF header", why);
    }

    [SkippableFact]
    public void Finds_the_kernels_functions_and_not_made_up_ones()
    {
        var btf = KernelBtf();
        int? openat2 = btf.FindFunction("do_sys_openat2"); // openat and openat2 both go through it since 5.6
        Assert.NotNull(openat2);
        Assert.InRange(openat2.Value, 1, btf.TypeCount);
        Assert.Null(btf.FindFunction("phoebe_no_such_function"));
        Assert.Null(btf.FindFunction("task_struct")); // a struct, not a function
        Assert.Null(btf.FindFunction("do_sys_openat")); // a prefix of do_sys_openat2, which is no function since 5.6
    }

    [SkippableFact]
    public void The_BPF_LSM_hook_is_in_BTF_exactly_when_the_kernel_has_it()
    {
        var btf = KernelBtf();
        var symbols = KernelSymbols.Read();
        Skip.If(symbols is null, "/proc/kallsyms is unreadable");
        // bpf_lsm_file_open is compiled exactly with CONFIG_BPF_LSM; kallsyms lists it independently of BTF.
        Assert.Equal(symbols.Contains(KernelBpfProbes.LsmHook), btf.FindFunction(KernelBpfProbes.LsmHook) is not null);
    }

    [SkippableFact]
    public void Every_function_found_is_a_kernel_symbol()
    {
        var btf = KernelBtf();
        var symbols = KernelSymbols.Read();
        Skip.If(symbols is null, "/proc/kallsyms is unreadable");
        foreach (var name in KernelBpfProbes.FentryCandidates.Append(KernelBpfProbes.LsmHook))
        {
            if (btf.FindFunction(name) is not null) Assert.True(symbols.Contains(name), $"{name} is in BTF but not in /proc/kallsyms");
        }
    }

    [SkippableFact]
    public void The_kernel_accepts_an_id_found_as_a_function_of_that_name()
    {
        // An iterator program's attach_btf_id must be the FUNC bpf_iter_<target>: the verifier checks the kind and
        // the name, and iterators need no ftrace, so this holds wherever BPF loads at all.
        var btf = KernelBtf();
        int? id = btf.FindFunction("bpf_iter_task");
        Skip.If(id is null, "the kernel has no task iterator (bpf_iter_task)");
        const uint BPF_TRACE_ITER = 28;
        using var program = BpfSyscall.ProgLoad(BpfSyscall.BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, (uint)id.Value,
            [BpfSyscall.Instruction.MovImmediate(0, 0), BpfSyscall.Instruction.Exit()], out int errno, out string log);
        Skip.If(program.IsInvalid && errno == LibC.EPERM && BpfPrivileges.CanLoadTracingPrograms() == false, "loading BPF programs needs root");
        Assert.False(program.IsInvalid, $"{LibC.StrError(errno)}\n{log}");
    }

    /// <summary>Builds a little-endian BTF blob: a 24-byte header, the types, the strings.</summary>
    private sealed class BtfBlobBuilder
    {
        private readonly MemoryStream types = new();
        private readonly List<byte> stringBytes = [0];

        public void Add(string name, int kind, int vlen, uint sizeOrType, int trailing)
        {
            uint nameOffset = 0;
            if (name.Length > 0)
            {
                nameOffset = (uint)stringBytes.Count;
                stringBytes.AddRange(Encoding.UTF8.GetBytes(name));
                stringBytes.Add(0);
            }
            Span<byte> header = stackalloc byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(header, nameOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)(kind << 24) | (uint)vlen);
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], sizeOrType);
            types.Write(header);
            // Filler whose words read as FUNC infos: a walk that lands in it finds wrong ids instead of failing.
            for (int i = 0; i < trailing; i += 4) types.Write([1, 0, 0, 12]);
        }

        public byte[] Build()
        {
            byte[] typeBytes = types.ToArray();
            byte[] blob = new byte[24 + typeBytes.Length + stringBytes.Count];
            BinaryPrimitives.WriteUInt16LittleEndian(blob, 0xEB9F);
            blob[2] = 1; // version
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 24);                         // hdr_len
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 0);                          // type_off
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)typeBytes.Length);    // type_len
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)typeBytes.Length);    // str_off
            BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)stringBytes.Count);   // str_len
            typeBytes.CopyTo(blob, 24);
            stringBytes.CopyTo(blob, 24 + typeBytes.Length);
            return blob;
        }
    }
}
