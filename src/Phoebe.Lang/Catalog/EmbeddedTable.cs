using System.Reflection;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// Reads the tab-separated tables that tools/regen-data.sh generates and the build embeds
/// as <c>Phoebe.Lang.Data.&lt;file&gt;</c>: <c>#</c> comment lines, one column-header line, rows.
/// </summary>
internal static class EmbeddedTable
{
    /// <summary>The rows of <paramref name="fileName"/>, each with exactly the expected columns.</summary>
    /// <exception cref="InvalidDataException">
    /// The table is missing or malformed: a build defect, never a user error.
    /// </exception>
    public static IReadOnlyList<string[]> Read(string fileName, params string[] columns)
    {
        var resource = "Phoebe.Lang.Data." + fileName;
        using var stream = typeof(EmbeddedTable).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidDataException($"embedded table '{resource}' is missing from {typeof(EmbeddedTable).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);

        var rows = new List<string[]>();
        var sawHeader = false;
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split('\t');
            if (!sawHeader)
            {
                if (!cells.SequenceEqual(columns))
                {
                    throw new InvalidDataException(
                        $"{fileName}:{lineNumber}: expected columns '{string.Join(", ", columns)}', found '{string.Join(", ", cells)}'");
                }

                sawHeader = true;
                continue;
            }

            if (cells.Length != columns.Length)
            {
                throw new InvalidDataException($"{fileName}:{lineNumber}: expected {columns.Length} columns, found {cells.Length}");
            }

            rows.Add(cells);
        }

        if (!sawHeader)
        {
            throw new InvalidDataException($"{fileName}: no column header");
        }

        return rows;
    }

    /// <summary>
    /// The rows of a two-column table as a map from the first cell to the second, unparsed: for tables whose
    /// second column is worth parsing only for the rows that are asked for (start-up time, docs/performance.md).
    /// </summary>
    /// <exception cref="InvalidDataException">The table is missing or malformed.</exception>
    public static Dictionary<string, string> ReadKeyed(string fileName, string keyColumn, string valueColumn)
    {
        var rows = Read(fileName, keyColumn, valueColumn);
        var map = new Dictionary<string, string>(rows.Count, StringComparer.Ordinal);
        foreach (var cells in rows)
        {
            map[cells[0]] = cells[1];
        }

        return map;
    }

    /// <summary>Parses an integer cell; <c>-</c> means absent.</summary>
    public static int? OptionalInt(string cell, string fileName, string column) =>
        cell == "-" ? null : Int(cell, fileName, column);

    /// <summary>Parses an integer cell.</summary>
    public static int Int(string cell, string fileName, string column) =>
        int.TryParse(cell, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"{fileName}: column '{column}' holds '{cell}', not a number");

    /// <summary>Splits a comma-separated list cell; <c>-</c> means the empty list.</summary>
    public static string[] List(string cell) =>
        cell == "-" ? [] : cell.Split(',');

    /// <summary>An optional name cell; <c>-</c> means none.</summary>
    public static string? OptionalName(string cell) => cell == "-" ? null : cell;
}
