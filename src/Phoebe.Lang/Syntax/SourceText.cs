namespace Phoebe.Lang.Syntax;

/// <summary>1-based line and column of a position in a source text.</summary>
public readonly record struct LinePosition(int Line, int Column);

/// <summary>
/// The text of one <c>.phb</c> file and its display path. Line and column are
/// computed on demand from a line-start table built once.
/// </summary>
public sealed class SourceText
{
    private int[]? lineStarts;

    /// <summary>Creates a source text.</summary>
    public SourceText(string path, string text)
    {
        Path = path;
        Text = text;
    }

    /// <summary>The path as the user gave it (or a stdlib display path).</summary>
    public string Path { get; }

    /// <summary>The full text.</summary>
    public string Text { get; }

    /// <summary>The 1-based line and column (in UTF-16 units, tabs count as one) of an offset.</summary>
    public LinePosition GetPosition(int offset)
    {
        var starts = LineStarts;
        offset = Math.Clamp(offset, 0, Text.Length);
        int line = Array.BinarySearch(starts, offset);
        if (line < 0) line = ~line - 1;
        return new LinePosition(line + 1, offset - starts[line] + 1);
    }

    /// <summary>The text of a 1-based line, without its line break.</summary>
    public string GetLine(int line)
    {
        var starts = LineStarts;
        if (line < 1 || line > starts.Length) return "";
        int start = starts[line - 1];
        int end = line < starts.Length ? starts[line] : Text.Length;
        while (end > start && (Text[end - 1] == '\n' || Text[end - 1] == '\r')) end--;
        return Text[start..end];
    }

    private int[] LineStarts => lineStarts ??= ComputeLineStarts(Text);

    private static int[] ComputeLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n') starts.Add(i + 1);
        }
        return starts.ToArray();
    }
}
