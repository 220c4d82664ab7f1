using System.Collections.Concurrent;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// The errnos that each syscall's manual page lists in its ERRORS section (generated from the section 2
/// man pages by tools/gen-syscall-errors.py). A page documenting several calls gives all of them its
/// whole list.
/// </summary>
public static class SyscallErrors
{
    private const string FileName = "syscall-errors.tsv";

    // The raw "errnos" cell of each call, split the first time the call is asked for.
    private static readonly Lazy<Dictionary<string, string>> Cells =
        new(() => EmbeddedTable.ReadKeyed(FileName, "syscall", "errnos"), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>?> Lists = new(StringComparer.Ordinal);

    /// <summary>
    /// The errno names documented for <paramref name="syscall"/> (exact name), sorted; empty when the page says
    /// the call always succeeds (<c>getpid</c>); <see langword="null"/> when no man page has an ERRORS section for it.
    /// </summary>
    public static IReadOnlyList<string>? For(string syscall)
    {
        ArgumentNullException.ThrowIfNull(syscall);
        return Lists.TryGetValue(syscall, out var known)
            ? known
            : Lists.GetOrAdd(syscall, Cells.Value.TryGetValue(syscall, out var cell) ? EmbeddedTable.List(cell) : null);
    }
}
