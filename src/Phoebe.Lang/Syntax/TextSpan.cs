namespace Phoebe.Lang.Syntax;

/// <summary>A range of UTF-16 code units in a source text.</summary>
public readonly record struct TextSpan(int Start, int Length)
{
    /// <summary>The index just past the span.</summary>
    public int End => Start + Length;

    /// <summary>Creates a span from its start and end indices.</summary>
    public static TextSpan FromBounds(int start, int end) => new(start, Math.Max(0, end - start));

    /// <summary>The smallest span covering both.</summary>
    public TextSpan Union(TextSpan other) => FromBounds(Math.Min(Start, other.Start), Math.Max(End, other.End));
}
