using System.Text;

namespace Phoebe.Lang.Tests.Cli;

/// <summary>
/// Hostile input gets diagnostics, never a stack trace, a hang or a crash.
/// Each case goes through the real CLI entry point.
/// </summary>
public sealed class RobustnessTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("phoebe-robust");

    public void Dispose() => dir.Delete(recursive: true);

    private (int Exit, string Stderr) Check(string text)
    {
        string path = Path.Combine(dir.FullName, "input.phb");
        File.WriteAllText(path, text);
        var (exit, _, stderr) = CliRunner.Run("check", path);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.DoesNotContain("Exception", stderr);
        return (exit, stderr);
    }

    [Fact]
    public void Binary_garbage()
    {
        var bytes = new byte[200_000];
        new Random(7).NextBytes(bytes);
        string path = Path.Combine(dir.FullName, "garbage.phb");
        File.WriteAllBytes(path, bytes);
        var (exit, _, stderr) = CliRunner.Run("check", path);
        Assert.Equal(1, exit);
        Assert.Contains("garbage.phb:", stderr);
        Assert.Contains("error PHB", stderr);
    }

    [Fact]
    public void Garbage_without_nul_bytes_is_capped()
    {
        var sb = new StringBuilder();
        var r = new Random(11);
        for (int i = 0; i < 300_000; i++) sb.Append((char)r.Next(1, 0x2FF));
        var (exit, stderr) = Check(sb.ToString());
        Assert.Equal(1, exit);
        Assert.Contains("PHB0008", stderr); // too many errors: the report stays readable
    }

    [Fact]
    public void Ten_megabyte_line_of_comment_string_and_expression()
    {
        var (exit, stderr) = Check("# " + new string('x', 10_000_000) + "\nRULE r ON read DO return EIO\n");
        Assert.Equal(0, exit);
        (exit, stderr) = Check("RULE r ON write DO log \"" + new string('y', 10_000_000) + "\"\n");
        Assert.Equal(0, exit);
        (exit, stderr) = Check("RULE r ON read IF " + string.Concat(Enumerable.Repeat("arg0 + ", 400_000)) + "1 > 0 DO return EIO\n");
        Assert.Equal(1, exit);
        Assert.Contains("PHB0005", stderr);
        (exit, stderr) = Check(new string('q', 10_000_000));
        Assert.Equal(1, exit);
        Assert.Contains("PHB0002", stderr);
    }

    [Fact]
    public void Deep_nesting()
    {
        var (exit, stderr) = Check("RULE r ON read IF " + new string('(', 100_000) + "arg0 == 1" + new string(')', 100_000) + " DO return EIO\n");
        Assert.Equal(1, exit);
        Assert.Contains("PHB0005", stderr);
        (exit, stderr) = Check("RULE r ON read IF " + new string('!', 100_000) + "true DO return EIO\n");
        Assert.Equal(1, exit);
        Assert.Contains("PHB0005", stderr);
        (exit, stderr) = Check("RULE r ON read IF " + string.Concat(Enumerable.Repeat("not ", 50_000)) + "true DO return EIO\n");
        Assert.Equal(1, exit);
        Assert.Contains("PHB0005", stderr);
    }

    [Fact]
    public void Unterminated_csharp_block_of_megabytes()
    {
        var (exit, stderr) = Check("HEALTH h {\n var s = \"" + new string('{', 2_000_000) + "\";\n /* never closed " + new string('}', 1000));
        Assert.Equal(1, exit);
        Assert.Contains("PHB0004", stderr);
        Assert.Contains("this comment is still open", stderr);
    }

    [Fact]
    public void Deeply_nested_csharp_is_fine()
    {
        var (exit, stderr) = Check("HEALTH h {" + new string('{', 100_000) + new string('}', 100_000) + " return true; }\n");
        // The .phb parser takes it; the C# compiler then refuses it, as an ordinary diagnostic rather than a crash.
        Assert.True(exit == 1, stderr);
        Assert.DoesNotContain("error PHB0", stderr);
        Assert.Contains("error PHB1030: C# error CS8078: An expression is too long or complex to compile", stderr);
    }

    [Fact]
    public void Fmt_of_garbage_reports_and_does_not_touch_the_file()
    {
        string path = Path.Combine(dir.FullName, "g.phb");
        File.WriteAllText(path, "RULE ((( $$$ \"");
        var (exit, _, stderr) = CliRunner.Run("fmt", path);
        Assert.Equal(1, exit);
        Assert.Contains("not formatting", stderr);
        Assert.Equal("RULE ((( $$$ \"", File.ReadAllText(path));
    }
}
