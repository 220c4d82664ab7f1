namespace Phoebe.Lang.Catalog;

/// <summary>A CPU architecture with its own syscall numbering.</summary>
public enum Architecture
{
    /// <summary>64-bit x86 (the <c>asm/unistd_64.h</c> table).</summary>
    X86_64,

    /// <summary>64-bit ARM (the generic <c>asm-generic/unistd.h</c> table).</summary>
    Aarch64,
}
