using Phoebe.Lang.Formatting;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Tests.Formatting;

public class FormatterTests
{
    private static string Format(string text)
    {
        var parsed = PhbParser.Parse(new SourceText("t.phb", text));
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Diagnostics.Select(d => d.Message)));
        return Formatter.Format(parsed.File);
    }

    [Fact]
    public void Lays_out_rules_byteman_style()
    {
        Assert.Equal(
            "RULE futex_timeouts\nON futex EXIT\nIF rate < observed.max * 1.2\nDO return ETIMEDOUT\nENDRULE\n",
            Format("RULE futex_timeouts ON futex EXIT IF rate < observed.max*1.2 DO return ETIMEDOUT"));
    }

    [Fact]
    public void Keeps_operator_spelling_parentheses_and_literals()
    {
        Assert.Equal(
            "RULE r\nON read, write ENTRY\nIF not (fd == 0x1F) and !(arg1 > -1) || chance(5%)\nDO delay 1.5s; log \"a\\tb\"; return -ENOENT\nENDRULE\n",
            Format("RULE r ON read,write ENTRY IF not(fd==0x1F)and!(arg1>-1)||chance(5%) DO delay 1.5s;log \"a\\tb\";return -ENOENT;"));
    }

    [Fact]
    public void Keeps_every_comment_in_place()
    {
        const string input = """
            # header

            # about r
            RULE r   // name
              ON openat   # target
              IF path ~ "/etc/*" &&   # first half
                 call == 2            # second half
              DO return ENOENT
            ENDRULE # done
            import "disk-full" # lib
            # trailing
            """;
        const string expected = """
            # header

            # about r
            RULE r // name
            ON openat # target
            # first half
            IF path ~ "/etc/*" && call == 2 # second half
            DO return ENOENT
            ENDRULE # done

            import "disk-full" # lib
            # trailing

            """;
        string once = Format(input);
        Assert.Equal(expected.Replace("\r\n", "\n"), once);
        Assert.Equal(once, Format(once));
    }

    [Fact]
    public void Health_body_is_verbatim()
    {
        string text = "HEALTH  h  EVERY 5s  TIMEOUT 1s {\n    var s = $\"{{}}{1}\";  // }\n  return s != \"}\";\n}\n";
        Assert.Equal("HEALTH h EVERY 5s TIMEOUT 1s {\n    var s = $\"{{}}{1}\";  // }\n  return s != \"}\";\n}\n", Format(text));
    }

    [Fact]
    public void Imports_are_grouped_and_items_separated()
    {
        Assert.Equal("import \"a.phb\"\nimport \"disk-full\"\n\nRULE r\nON read\nDO return EIO\nENDRULE\n",
            Format("import \"a.phb\" import \"disk-full\" RULE r ON read DO return EIO"));
    }

    [Fact]
    public void Negation_of_negation_stays_two_tokens()
    {
        string once = Format("RULE r ON read IF - -arg0 > 0 DO return EIO");
        Assert.Contains("IF - -arg0 > 0", once);
        Assert.Equal(once, Format(once));
    }

    [Fact]
    public void Repository_files_are_formatted_canonically()
    {
        foreach (var dir in new[] { "examples", "stdlib" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, dir), "*.phb"))
            {
                string text = File.ReadAllText(file);
                Assert.True(text == Format(text), $"{Path.GetFileName(file)} is not formatted: run ./phoebe fmt {dir}/*.phb");
            }
        }
    }
}
