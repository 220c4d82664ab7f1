using System.Collections.Frozen;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// The classic Linux signals (1 to 31) of x86_64 with their aliases, generated from the kernel's UAPI
/// <c>asm/signal.h</c> by tools/gen-signals.py. Real-time signals are not named: their lowest usable number
/// depends on the C library.
/// </summary>
public static class SignalCatalog
{
    private const string FileName = "signals.tsv";

    private static readonly Lazy<Data> Table = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The signal named <paramref name="name"/> (exact, case-sensitive, with the prefix: <c>SIGTERM</c>), or <see langword="null"/>.</summary>
    public static SignalInfo? Lookup(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Table.Value.ByName.GetValueOrDefault(name);
    }

    /// <summary>Every signal name, aliases included, sorted by number, then name.</summary>
    public static IReadOnlyList<SignalInfo> All => Table.Value.All;

    /// <summary>The canonical (non-alias) signal numbered <paramref name="number"/>, or <see langword="null"/>.</summary>
    public static SignalInfo? ByNumber(int number) => Table.Value.ByNumber.GetValueOrDefault(number);

    private sealed record Data(
        IReadOnlyList<SignalInfo> All,
        FrozenDictionary<string, SignalInfo> ByName,
        FrozenDictionary<int, SignalInfo> ByNumber);

    private static Data Load()
    {
        var all = EmbeddedTable.Read(FileName, "name", "number", "description", "alias_of")
            .Select(cells => new SignalInfo(cells[0], EmbeddedTable.Int(cells[1], FileName, "number"), cells[2])
            {
                AliasOf = EmbeddedTable.OptionalName(cells[3]),
            })
            .OrderBy(s => s.Number)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToArray();
        return new Data(
            all,
            all.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal),
            all.Where(s => !s.IsAlias).ToFrozenDictionary(s => s.Number));
    }
}
