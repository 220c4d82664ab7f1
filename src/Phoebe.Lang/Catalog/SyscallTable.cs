using System.Collections.Frozen;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// The Linux system calls of x86_64 and aarch64 with their numbers and strace trace classes,
/// generated from the kernel's UAPI headers and strace's syscall tables (tools/gen-syscalls.py).
/// </summary>
public static class SyscallTable
{
    private const string FileName = "syscalls.tsv";

    private static readonly Lazy<Data> Table = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The call named <paramref name="name"/> (exact, case-sensitive), or <see langword="null"/>.</summary>
    public static SyscallInfo? Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Table.Value.ByName.GetValueOrDefault(name);
    }

    /// <summary>Every known call, sorted by name (ordinal).</summary>
    public static IReadOnlyList<SyscallInfo> All => Table.Value.All;

    /// <summary>The canonical strace class names that have members (<c>clock</c>, <c>creds</c>, <c>desc</c>, <c>file</c>, ...), sorted.</summary>
    public static IReadOnlyList<string> ClassNames => Table.Value.ClassNames;

    /// <summary>
    /// The calls in strace class <paramref name="className"/>, sorted by name, or <see langword="null"/> when
    /// there is no such class. Like <c>strace -e trace=%CLASS</c>, the name is case-insensitive, may start
    /// with <c>%</c>, and accepts strace's other spellings: <c>net</c> for <c>network</c>, <c>%%stat</c>
    /// for <c>stat_like</c> and <c>%%statfs</c> for <c>statfs_like</c>.
    /// </summary>
    public static IReadOnlyList<SyscallInfo>? Class(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        var canonical = CanonicalClassName(className);
        return canonical is null ? null : Table.Value.ByClass.GetValueOrDefault(canonical);
    }

    /// <summary>
    /// The canonical name of strace class <paramref name="className"/> (see <see cref="Class"/> for the spellings
    /// accepted), or <see langword="null"/> when there is no such class.
    /// </summary>
    public static string? CanonicalClassName(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        var name = className.ToLowerInvariant();
        if (name.StartsWith("%%", StringComparison.Ordinal))
        {
            // strace spells the "-like" classes with a doubled percent sign.
            name = name[2..] + "_like";
        }
        else if (name.StartsWith('%'))
        {
            name = name[1..];
        }

        if (name == "net")
        {
            name = "network";
        }

        return Table.Value.ByClass.ContainsKey(name) ? name : null;
    }

    private sealed record Data(
        IReadOnlyList<SyscallInfo> All,
        FrozenDictionary<string, SyscallInfo> ByName,
        IReadOnlyList<string> ClassNames,
        FrozenDictionary<string, IReadOnlyList<SyscallInfo>> ByClass);

    private static Data Load()
    {
        var all = EmbeddedTable.Read(FileName, "name", "x86_64", "aarch64", "classes")
            .Select(cells => new SyscallInfo(
                cells[0],
                EmbeddedTable.OptionalInt(cells[1], FileName, "x86_64"),
                EmbeddedTable.OptionalInt(cells[2], FileName, "aarch64"),
                EmbeddedTable.List(cells[3])))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToArray();
        var byClass = all
            .SelectMany(s => s.Classes, (s, c) => (Class: c, Syscall: s))
            .GroupBy(p => p.Class, StringComparer.Ordinal)
            .ToFrozenDictionary(
                g => g.Key,
                g => (IReadOnlyList<SyscallInfo>)g.Select(p => p.Syscall).ToArray(),
                StringComparer.Ordinal);
        return new Data(
            all,
            all.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal),
            byClass.Keys.Order(StringComparer.Ordinal).ToArray(),
            byClass);
    }
}
