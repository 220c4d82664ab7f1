using System.Collections.Frozen;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// The Linux UAPI errno names with their numbers and descriptions, aliases included
/// (generated from the kernel's asm-generic errno headers and glibc's aliases by tools/gen-errnos.py).
/// </summary>
public static class ErrnoCatalog
{
    private const string FileName = "errnos.tsv";

    private static readonly Lazy<Data> Table = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The errno named <paramref name="name"/> (exact, case-sensitive, e.g. <c>ENOENT</c>), or <see langword="null"/>.</summary>
    public static ErrnoInfo? Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Table.Value.ByName.GetValueOrDefault(name);
    }

    /// <summary>Every errno name, aliases included, sorted by number, then name.</summary>
    public static IReadOnlyList<ErrnoInfo> All => Table.Value.All;

    /// <summary>
    /// The canonical (non-alias) errno with value <paramref name="number"/>, e.g. <c>EAGAIN</c> for 11,
    /// or <see langword="null"/> when no errno has that value.
    /// </summary>
    public static ErrnoInfo? ByNumber(int number) => Table.Value.ByNumber.GetValueOrDefault(number);

    private sealed record Data(
        IReadOnlyList<ErrnoInfo> All,
        FrozenDictionary<string, ErrnoInfo> ByName,
        FrozenDictionary<int, ErrnoInfo> ByNumber);

    private static Data Load()
    {
        var all = EmbeddedTable.Read(FileName, "name", "number", "description", "alias_of")
            .Select(cells => new ErrnoInfo(cells[0], EmbeddedTable.Int(cells[1], FileName, "number"), cells[2])
            {
                AliasOf = EmbeddedTable.OptionalName(cells[3]),
            })
            .OrderBy(e => e.Number)
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToArray();
        return new Data(
            all,
            all.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal),
            all.Where(e => !e.IsAlias).ToFrozenDictionary(e => e.Number));
    }
}
