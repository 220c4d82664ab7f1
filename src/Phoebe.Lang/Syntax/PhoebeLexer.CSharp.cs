using Antlr4.Runtime;

namespace Phoebe.Lang.Syntax.Generated;

/// <summary>A HEALTH body that reached the end of the file.</summary>
internal readonly record struct UnterminatedBlock(int BlockStart, int OpenAt, string What);

// The hand-written half of the generated lexer: the CSHARP_BLOCK rule matches
// only the opening brace and calls ScanCSharpBlock, which consumes the C# body
// up to its matching brace using CSharpBlockScanner.
internal partial class PhoebeLexer
{
    private string sourceText = "";

    /// <summary>Creates a lexer over a string; token indices are UTF-16 offsets into it.</summary>
    public PhoebeLexer(string text) : this(new AntlrInputStream(text))
    {
        sourceText = text;
    }

    /// <summary>HEALTH bodies left open at the end of the file.</summary>
    public List<UnterminatedBlock> UnterminatedBlocks { get; } = new();

    private void ScanCSharpBlock()
    {
        int start = TokenStartCharIndex;
        var result = CSharpBlockScanner.Scan(sourceText, start);
        var input = (ICharStream)InputStream;
        // Consume through the simulator so that line and column stay right.
        while (input.Index < result.End) Interpreter.Consume(input);
        if (!result.Terminated)
        {
            UnterminatedBlocks.Add(new UnterminatedBlock(start, result.OpenAt, result.OpenWhat ?? "block"));
        }
    }
}
