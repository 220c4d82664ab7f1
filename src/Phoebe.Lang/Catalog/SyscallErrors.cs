using System.Collections.Frozen;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// The errnos that each syscall's manual page lists in its ERRORS section (generated from the section 2
/// man pages by tools/gen-syscall-errors.py). A page documenting several calls gives all of them its
/// whole list.
/// </summary>
public static class SyscallErrors
{
    private const string FileName = "syscall-errors.tsv";

    private static readonly Lazy<FrozenDictionary<string, IReadOnlyList<string>>> Table =
        new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The errno names documented for <paramref name="syscall"/> (exact name), sorted; empty when the page says
    /// the call always succeeds (<c>getpid</c>); <see langword="null"/> when no man page has an ERRORS section for it.
    /// </summary>
    public static IReadOnlyList<string>? For(string syscall)
    {
        ArgumentNullException.ThrowIfNull(syscall);
        return Table.Value.GetValueOrDefault(syscall);
    }

    private static FrozenDictionary<string, IReadOnlyList<string>> Load() =>
        EmbeddedTable.Read(FileName, "syscall", "errnos")
            .ToFrozenDictionary(
                cells => cells[0],
                cells => (IReadOnlyList<string>)EmbeddedTable.List(cells[1]),
                StringComparer.Ordinal);
}
