using System.Buffers.Binary;
using System.Text;

namespace Phoebe.Runtime.Doctor;

/// <summary>
/// The kernel's own BTF (/sys/kernel/btf/vmlinux), read just enough to find the type id of a function: what
/// BPF_PROG_LOAD wants as <c>attach_btf_id</c> for fentry and LSM programs. Layout: the kernel's
/// Documentation/bpf/btf.rst and include/uapi/linux/btf.h.
/// </summary>
internal sealed class VmlinuxBtf
{
    /// <summary>Where the running kernel exposes its BTF (CONFIG_DEBUG_INFO_BTF).</summary>
    public const string DefaultPath = "/sys/kernel/btf/vmlinux";

    private const ushort Magic = 0xEB9F;
    private const int TypeHeaderSize = 12; // struct btf_type: name_off, info, size/type

    private const int KindFunc = 12;

    private readonly byte[] data;
    private readonly int typesStart, typesEnd, stringsStart, stringsEnd;

    private VmlinuxBtf(byte[] data, int typesStart, int typesEnd, int stringsStart, int stringsEnd, int typeCount)
    {
        this.data = data;
        this.typesStart = typesStart;
        this.typesEnd = typesEnd;
        this.stringsStart = stringsStart;
        this.stringsEnd = stringsEnd;
        TypeCount = typeCount;
    }

    /// <summary>The number of types (ids 1 to this; id 0 is void).</summary>
    public int TypeCount { get; }

    /// <summary>The size of the BTF blob in bytes.</summary>
    public int Size => data.Length;

    /// <summary>Reads and checks a BTF blob; null with <paramref name="error"/> saying why when it cannot.</summary>
    public static VmlinuxBtf? Read(string path, out string? error)
    {
        byte[] data;
        try
        {
            // sysfs reports a size, but read until the end rather than trust it.
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read {path}: {e.Message}";
            return null;
        }
        return Parse(data, out error);
    }

    /// <summary>Checks a BTF blob's header and walks its types once (which validates every kind's size).</summary>
    public static VmlinuxBtf? Parse(byte[] data, out string? error)
    {
        const int MinHeader = 24;
        if (data.Length < MinHeader) return Fail($"{data.Length} bytes, shorter than a BTF header", out error);
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(data);
        if (magic != Magic)
        {
            return Fail(magic == BinaryPrimitives.ReverseEndianness(Magic)
                ? "BTF of the other byte order"
                : $"not BTF (magic 0x{magic:X4}, expected 0x{Magic:X4})", out error);
        }
        uint headerLength = U32(data, 4);
        uint typeOff = U32(data, 8), typeLen = U32(data, 12), strOff = U32(data, 16), strLen = U32(data, 20);
        // Offsets count from the end of the header, whose length grows with new fields.
        long typesStart = headerLength + (long)typeOff, typesEnd = typesStart + typeLen;
        long stringsStart = headerLength + (long)strOff, stringsEnd = stringsStart + strLen;
        if (headerLength < MinHeader || typesEnd > data.Length || stringsEnd > data.Length)
        {
            return Fail("BTF header points past the end of the data", out error);
        }

        int count = 0;
        for (long at = typesStart; at < typesEnd; count++)
        {
            if (at + TypeHeaderSize > typesEnd) return Fail($"type {count + 1} is cut short", out error);
            uint info = U32(data, (int)at + 4);
            int? extra = TrailingSize(Kind(info), Vlen(info));
            if (extra is null) return Fail($"type {count + 1} has unknown BTF kind {Kind(info)}", out error);
            at += TypeHeaderSize + extra.Value;
            if (at > typesEnd) return Fail($"type {count + 1} runs past the type section", out error);
        }
        error = null;
        return new VmlinuxBtf(data, (int)typesStart, (int)typesEnd, (int)stringsStart, (int)stringsEnd, count);
    }

    /// <summary>The type id of the function (BTF_KIND_FUNC) named <paramref name="name"/>, or null when there is none.</summary>
    public int? FindFunction(string name)
    {
        byte[] wanted = Encoding.UTF8.GetBytes(name);
        int id = 1;
        for (int at = typesStart; at < typesEnd; id++)
        {
            uint info = U32(data, at + 4);
            if (Kind(info) == KindFunc && NameEquals(U32(data, at), wanted)) return id;
            at += TypeHeaderSize + TrailingSize(Kind(info), Vlen(info))!.Value; // validated by Parse
        }
        return null;
    }

    /// <summary>
    /// The bytes that follow struct btf_type for each kind (btf.rst, "Type Encoding"), or null for a kind this
    /// reader does not know: without its size, no later type can be found.
    /// </summary>
    private static int? TrailingSize(int kind, int vlen) => kind switch
    {
        1 => 4,              // INT: u32 encoding/offset/bits
        2 => 0,              // PTR
        3 => 12,             // ARRAY: struct btf_array
        4 or 5 => 12 * vlen, // STRUCT, UNION: struct btf_member each
        6 => 8 * vlen,       // ENUM: struct btf_enum each
        7 or 8 or 9 or 10 or 11 or 12 => 0, // FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC
        13 => 8 * vlen,      // FUNC_PROTO: struct btf_param each
        14 => 4,             // VAR: struct btf_var
        15 => 12 * vlen,     // DATASEC: struct btf_var_secinfo each
        16 => 0,             // FLOAT
        17 => 4,             // DECL_TAG: struct btf_decl_tag
        18 => 0,             // TYPE_TAG
        19 => 12 * vlen,     // ENUM64: struct btf_enum64 each
        _ => null,
    };

    private bool NameEquals(uint nameOffset, byte[] wanted)
    {
        long start = stringsStart + (long)nameOffset;
        long end = start + wanted.Length;
        return end < stringsEnd && data[end] == 0 && data.AsSpan((int)start, wanted.Length).SequenceEqual(wanted);
    }

    private static int Kind(uint info) => (int)((info >> 24) & 0x1f);

    private static int Vlen(uint info) => (int)(info & 0xffff);

    private static uint U32(byte[] data, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));

    private static VmlinuxBtf? Fail(string why, out string? error)
    {
        error = why;
        return null;
    }
}
