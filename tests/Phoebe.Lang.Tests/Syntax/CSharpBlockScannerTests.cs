using System.Diagnostics;
using System.Text;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Tests.Syntax;

public class CSharpBlockScannerTests
{
    // Appended after every block: it holds a '}' and an opening quote, so a scanner that stops too early or too
    // late gives a different End.
    private const string Tail = " TAIL } \" */";

    /// <summary>Scans <paramref name="block"/> + <see cref="Tail"/> and expects the block to end exactly where the tail starts.</summary>
    private static void AssertBlockEnds(string block, string prefix = "")
    {
        string text = prefix + block + Tail;
        CSharpScanResult result = CSharpBlockScanner.Scan(text, prefix.Length);
        Assert.Equal(new CSharpScanResult(prefix.Length + block.Length, true, -1, null), result);
    }

    private static void AssertOpen(string text, int openAt, string openWhat)
    {
        CSharpScanResult result = CSharpBlockScanner.Scan(text, 0);
        Assert.Equal(new CSharpScanResult(text.Length, false, openAt, openWhat), result);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{ return Healthy(); }")]
    [InlineData("{ if (a) { b(); } else { c(); } }")]
    [InlineData("{ { { } } { } }")]
    [InlineData("{ var x = a / b; }")]
    [InlineData("{ var lambda = () => { return new { A = 1 }; }; }")]
    public void Blocks(string block) => AssertBlockEnds(block);

    [Fact]
    public void StartsAtTheGivenBrace()
    {
        AssertBlockEnds("{ return Healthy(); }", prefix: "HEALTH db { ");
        AssertBlockEnds("{ var s = \"}\"; }", prefix: "HEALTH db ");
    }

    [Theory]
    [InlineData("{ // } not the end\n}")]
    [InlineData("{ // \" don't\r\n}")]
    [InlineData("{ /* } */ }")]
    [InlineData("{ /* { */ }")]
    [InlineData("{ /* \" ' \n } \n */ }")]
    [InlineData("{ /* not /* nested */ }")]
    [InlineData("{ /**/ }")]
    [InlineData("{ a = b /*}*/ / c; }")]
    public void Comments(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("{\n#if DEBUG\n  Log();\n#endif\n}")]
    [InlineData("{\n#region things\n#endregion\n}")]
    public void PreprocessorLinesAreOrdinaryText(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("""{ var s = "}"; }""")]
    [InlineData("""{ var s = "{"; }""")]
    [InlineData("""{ var s = "\"}"; }""")]
    [InlineData("""{ var s = "\\"; }""")]
    [InlineData("""{ var s = "\\\"}\\"; }""")]
    [InlineData("""{ var s = ""; }""")]
    [InlineData("""{ var s = "" + "}"; }""")]
    [InlineData("""{ var s = "// }"; }""")]
    [InlineData("""{ var s = "/* }"; }""")]
    [InlineData("""{ var s = "'"; }""")]
    [InlineData("""{ var s = "\u007D"; }""")]
    [InlineData("""{ var b = "}"u8; }""")]
    [InlineData("""{ var b = "\"}"u8.ToArray(); }""")]
    public void RegularStrings(string block) => AssertBlockEnds(block);

    [Theory]
    // The newline ends the bad literal (the C# compiler reports it); the '}' on the next line closes the block.
    [InlineData("{ var s = \"abc\n}")]
    [InlineData("{ var s = \"abc\r\n}")]
    // A backslash does not escape the newline either (Roslyn would swallow a lone '\n' there, though not "\r\n").
    [InlineData("{ var s = \"abc\\\n}")]
    [InlineData("{ var s = \"abc\u2028}")]
    [InlineData("{ var c = '\n}")]
    public void NewlineEndsAnUnterminatedRegularLiteral(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("{ var c = '{'; }")]
    [InlineData("{ var c = '}'; }")]
    [InlineData("{ var c = '\\''; var d = '}'; }")]
    [InlineData("{ var c = '\"'; var d = '}'; }")]
    [InlineData("{ var c = '\\\\'; var d = '}'; }")]
    [InlineData("{ var c = '\\u007B'; }")]
    [InlineData("{ var c = '\\x7D'; }")]
    public void CharacterLiterals(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("""{ var s = @"C:\dir\"; }""")]
    [InlineData("""{ var s = @"}"; }""")]
    [InlineData("""{ var s = @"say ""}"" "; }""")]
    [InlineData("""""{ var s = @""""; }""""")]
    [InlineData("{ var s = @\"line 1\n}\nline \"\"3\"\"\n\"; }")]
    [InlineData("""{ var @class = "}"; }""")]
    public void VerbatimStrings(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("""{ var s = $"{x}"; }""")]
    [InlineData("""{ var s = $"a{b}c{d}e"; }""")]
    [InlineData("""{ var s = $"{{"; }""")]
    [InlineData("""{ var s = $"}}"; }""")]
    [InlineData("""{ var s = $"{{{x}}}"; }""")]
    [InlineData("""{ var s = $""; }""")]
    [InlineData("""{ var s = $"\"{x}\""; }""")]
    [InlineData("""{ var s = $"\\{x}"; }""")]
    [InlineData("""{ var s = $"{d["}"]}"; }""")]
    [InlineData("""{ var s = $"{d["\"{"]}"; }""")]
    [InlineData("""{ var s = $"{'}'}{'"'}"; }""")]
    [InlineData("""{ var s = $"{@"}"}"; }""")]
    [InlineData("""{ var s = $"{$"{x}"}"; }""")]
    [InlineData("""{ var s = $"{$"{$"{"}"}"}"}"; }""")]
    [InlineData("""{ var s = $"{x /* } " */}"; }""")]
    [InlineData("""{ var s = $"{F(() => { return "}"; })}"; }""")]
    [InlineData("""{ var s = $"{ x => { return 1; } }"; }""")]
    [InlineData("""{ var s = $"{new[] { 1, 2 }.Length}"; }""")]
    [InlineData("{ var s = $\"{\n  x\n}\"; }")]
    // Like Roslyn, `\{` is a (bad) escape in the text part, not the start of a hole.
    [InlineData("""{ var s = $"\{"; }""")]
    public void InterpolatedStrings(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("""{ var s = $"{x:N2}"; }""")]
    [InlineData("""{ var s = $"{x,5}"; }""")]
    [InlineData("""{ var s = $"{x,-5:N2}"; }""")]
    [InlineData("""{ var s = $"{t:HH\:mm}"; }""")]
    [InlineData("""{ var s = $"{x:{}"; }""")]
    [InlineData("""{ var s = $"{x:\"}"; }""")]
    [InlineData("""{ var s = $"{(a ? b : c)}"; }""")]
    [InlineData("""{ var s = $"{(a ? "}" : "{")}"; }""")]
    [InlineData("""{ var s = $"{d[a ? 1 : 2]}"; }""")]
    [InlineData("""{ var s = $"{new[] { a ? 1 : 2 }}"; }""")]
    [InlineData("""{ var s = $"{F(() => { return a ? "}" : "{"; })}"; }""")]
    // A top-level ':' starts the format clause, so these are errors in C#; they must still stay balanced.
    [InlineData("""{ var s = $"{cond ? 1 : 2}"; }""")]
    [InlineData("""{ var s = $"{cond ? "a" : "b"}"; }""")]
    [InlineData("""{ var s = $"{global::System.Math.PI}"; }""")]
    public void InterpolationFormatAndAlignment(string block) => AssertBlockEnds(block);

    [Theory]
    [InlineData("""{ var s = $@"C:\{dir}\"; }""")]
    [InlineData("""{ var s = @$"C:\{dir}\"; }""")]
    [InlineData("""{ var s = $@"say ""}"" {x} {{ }}"; }""")]
    [InlineData(""""{ var s = $@"{x:""{""}"; }"""")]
    [InlineData("{ var s = @$\"line {a}\n}\nline {b}\n\"; }")]
    [InlineData("""{ var s = $@"{@"}"}"; }""")]
    public void VerbatimInterpolatedStrings(string block) => AssertBlockEnds(block);

    [Theory]
    // A quote ends a format clause early, and the string with it.
    [InlineData(""""{ var s = $@"{x:""{"}"""")]
    // `""` is no escape in a regular interpolated string: `$"a"` is followed by `"{"`.
    [InlineData("""{ var s = $"a""{"; }""")]
    // A stray ')' does not hide the ':' that starts the format clause.
    [InlineData("""{ var s = $"{a):"}""")]
    // `$$"` starts a raw string with one quote, and raw strings have no escapes.
    [InlineData("""{ var s = $$"\"}""")]
    public void BadInterpolatedStringsLexAsTheCompilerDoes(string block) => AssertBlockEnds(block);

    [Fact]
    public void NewlineEndsAnUnterminatedInterpolatedString()
    {
        AssertBlockEnds("{ var s = $\"abc\n}");
        AssertBlockEnds("{ var s = $\"a{x}b\n}");
    }

    [Theory]
    [InlineData(""""{ var s = """}"""; }"""")]
    [InlineData(""""{ var s = """a "" } b"""; }"""")]
    [InlineData(""""{ var s = """C:\dir\"""; }"""")]
    [InlineData("""""{ var s = """" """ } """"; }""""")]
    [InlineData("""""{ var s = """a""""; }""""")]
    [InlineData(""""{ var s = """{"""u8; }"""")]
    [InlineData("{ var s = \"\"\"\n  }\n  \"quoted\" \"\" {\n  \"\"\"; }")]
    [InlineData("{ var s = \"\"\"  \r\n  }\r\n  \"\"\"; }")]
    [InlineData("{ var s = \"\"\"\"\n  \"\"\" }\n  \"\"\"\"; }")]
    public void RawStrings(string block) => AssertBlockEnds(block);

    [Fact]
    public void NewlineEndsAnUnterminatedSingleLineRawString()
    {
        AssertBlockEnds("{ var s = \"\"\"abc\n}");
    }

    [Theory]
    [InlineData(""""{ var s = $"""{x}"""; }"""")]
    [InlineData(""""{ var s = $"""{x} "quoted" ""{y}"" """; }"""")]
    [InlineData(""""{ var s = $"""{F("}")}"""; }"""")]
    [InlineData(""""{ var s = $"""{x:N2}"""; }"""")]
    [InlineData(""""{ var s = $$"""{x} {{y}} {{{z}}}"""; }"""")]
    [InlineData(""""{ var s = $$"""{ "a": {{v}} }"""; }"""")]
    [InlineData(""""{ var s = $$"""{"k": "}"}"""; }"""")]
    [InlineData(""""{ var s = $$"""{/*"""; }"""")]
    [InlineData(""""{ var s = $$"""{{ new[] { 1 }}}"""; }"""")]
    [InlineData(""""{ var s = $$"""{{x:N2}}"""; }"""")]
    [InlineData(""""{ var s = $$$"""{{ {{{x}}} }}"""; }"""")]
    [InlineData(""""{ var s = $$"""{{$"{x}"}}"""; }"""")]
    [InlineData(""""{ var s = $"""{$$"""{{"}"}}"""}"""; }"""")]
    [InlineData("{ var s = $$\"\"\"\n  { \"k\": {{v}} }\n  \"\"\"; }")]
    [InlineData("{ var s = $\"\"\"\n  {F(() => {\n    return \"}\";\n  })}\n  \"\"\"; }")]
    [InlineData("{ var s = $\"\"\"\"\n  \"\"\" {x} }\n  \"\"\"\"; }")]
    public void InterpolatedRawStrings(string block) => AssertBlockEnds(block);

    [Fact]
    public void NewlineEndsAnUnterminatedSingleLineInterpolatedRawString()
    {
        AssertBlockEnds("{ var s = $\"\"\"{x} \n}");
    }

    [Theory]
    [InlineData("{", 0, "block")]
    [InlineData("{ a; { b; ", 5, "block")]
    [InlineData("{ a; { b; } ", 0, "block")]
    [InlineData("{ // }", 0, "block")]
    [InlineData("{ var s = \"abc\n", 0, "block")]
    [InlineData("{ /* } ", 2, "comment")]
    [InlineData("{ /*/ } ", 2, "comment")]
    [InlineData("{ var s = \"} ", 10, "string literal")]
    [InlineData("{ var s = \"abc\\", 10, "string literal")]
    [InlineData("{ var c = '", 10, "character literal")]
    [InlineData("{ var c = '\\", 10, "character literal")]
    [InlineData("{ var s = @\"}\n} ", 10, "verbatim string literal")]
    [InlineData("{ var s = @\"\"\"", 10, "verbatim string literal")]
    [InlineData("{ var s = \"\"\"} \"\" ", 10, "raw string literal")]
    [InlineData("{ var s = \"\"\"\n  }\n  \"\" ", 10, "raw string literal")]
    [InlineData("{ var s = \"\"\"\"\"\"", 10, "raw string literal")]
    [InlineData("{ var s = $\"abc } ", 10, "interpolated string")]
    [InlineData("{ var s = $@\"abc\n} ", 10, "interpolated string")]
    [InlineData("{ var s = @$\"{x}\n} ", 10, "interpolated string")]
    [InlineData("{ var s = $\"\"\"\n  {x}\n", 10, "interpolated string")]
    [InlineData("{ var s = $\"{x", 12, "interpolation")]
    [InlineData("{ var s = $\"{x\n", 12, "interpolation")]
    [InlineData("{ var s = $\"{x:N2", 12, "interpolation")]
    [InlineData("{ var s = $\"{(a ? b : c", 12, "interpolation")]
    [InlineData("{ var s = $$\"\"\"{{x", 15, "interpolation")]
    [InlineData("{ var s = $$\"\"\"{{{x", 16, "interpolation")]
    [InlineData("{ var s = $\"{F(() => { ", 21, "block")]
    [InlineData("{ var s = $\"{\"}", 13, "string literal")]
    [InlineData("{ var s = $\"{x /* }\" ", 15, "comment")]
    public void Unterminated(string text, int openAt, string openWhat) => AssertOpen(text, openAt, openWhat);

    [Fact]
    public void RejectsAStartThatIsNotAnOpenBrace()
    {
        Assert.Throws<ArgumentException>(() => CSharpBlockScanner.Scan("x { }", 0));
        Assert.Throws<ArgumentException>(() => CSharpBlockScanner.Scan("{ }", 3));
    }

    [Fact]
    public void HundredThousandNestedBlocks()
    {
        const int depth = 100_000;
        string block = new string('{', depth) + new string('}', depth);
        AssertBlockEnds(block);
        AssertOpen(new string('{', depth), depth - 1, "block");
    }

    [Fact]
    public void HundredThousandNestedInterpolations()
    {
        const int depth = 100_000;
        string block = "{ var s = "
            + string.Concat(Enumerable.Repeat("$\"{", depth))
            + "x"
            + string.Concat(Enumerable.Repeat("}\"", depth))
            + "; }";
        AssertBlockEnds(block);

        // Drop the last quote and what follows: the outermost interpolated string, at 10, is left open.
        string open = block[..^4];
        AssertOpen(open, 10, "interpolated string");
    }

    [Fact]
    public void TenMegabyteBodyIsScannedQuickly()
    {
        // Every form, each hiding braces and quotes, repeated past 10 MB.
        const string chunk = """"
            // comment with } and " and '
            /* block { comment " */
            var a = "str } \" {";
            var b = '}'; var c = '\'';
            var d = @"verb ""}"" {";
            var e = $"x{y:N2}{{ }}{F(() => { return "}"; })}";
            var f = $@"{(p ? "}" : "{")}";
            var g = """raw "" } {""";
            var h = $$"""{x} {{y}} """;
            var i = new[] { 1, 2 };

            """";
        var sb = new StringBuilder("{\n");
        while (sb.Length < 10 * 1024 * 1024)
        {
            sb.Append(chunk);
        }

        string block = sb.Append('}').ToString();
        var watch = Stopwatch.StartNew();
        AssertBlockEnds(block);
        watch.Stop();

        // Linear time takes milliseconds here; a quadratic scan would take hours. The bound is loose for slow CI.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"scanning took {watch.Elapsed}");
    }

    [Theory]
    [InlineData('/', "{ /*", "*/ }")]
    [InlineData('x', "{ //", "\n}")]
    [InlineData('}', "{ var s = @\"", "\"; }")]
    [InlineData('{', "{ var s = \"\"\"\n", "\n\"\"\"; }")]
    [InlineData('"', "{ var s = @\"", "\"; }")]
    [InlineData('*', "{ var s = $\"{x:", "}\"; }")]
    public void TenMegabyteLiteral(char filler, string before, string after)
    {
        AssertBlockEnds(before + new string(filler, 10 * 1024 * 1024) + after);
    }
}
