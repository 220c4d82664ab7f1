namespace Phoebe.Lang.Catalog;

/// <summary>A Linux system call: its name, its number on each architecture and its strace trace classes.</summary>
/// <param name="Name">The kernel's name for the call, e.g. <c>openat</c> or <c>newfstatat</c>.</param>
/// <param name="X86_64Number">The call's number on x86_64, or <see langword="null"/> when x86_64 lacks it.</param>
/// <param name="Aarch64Number">The call's number on aarch64, or <see langword="null"/> when aarch64 lacks it.</param>
/// <param name="Classes">The strace classes (<c>strace -e trace=%CLASS</c>) the call belongs to, sorted.</param>
public sealed record SyscallInfo(string Name, int? X86_64Number, int? Aarch64Number, IReadOnlyList<string> Classes)
{
    /// <summary>The call's number on <paramref name="arch"/>, or <see langword="null"/> when that architecture lacks it.</summary>
    public int? NumberFor(Architecture arch) => arch switch
    {
        Architecture.X86_64 => X86_64Number,
        Architecture.Aarch64 => Aarch64Number,
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "unknown architecture"),
    };

    /// <summary>Whether the call belongs to the strace class <paramref name="className"/> (canonical name, e.g. <c>network</c>).</summary>
    public bool IsIn(string className) => Classes.Contains(className, StringComparer.Ordinal);
}
