using Phoebe.Lang.Formatting;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Tests.Syntax;

public class ParserTests
{
    private static PhbFile Parse(string text)
    {
        var result = PhbParser.Parse(new SourceText("t.phb", text));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics.Select(d => d.Message)));
        return result.File;
    }

    [Fact]
    public void Design_card_parses_with_default_and_explicit_phase()
    {
        var file = Parse("RULE futex_timeouts ON futex EXIT IF rate < observed.max*1.2 DO return ETIMEDOUT\nRULE r ON openat DO return ENOENT");
        var card = Assert.IsType<RuleDecl>(file.Items[0]);
        Assert.Equal("futex_timeouts", card.Name.Text);
        Assert.Equal(Phase.Exit, card.Phase);
        Assert.Equal("rate < observed.max * 1.2", ExprPrinter.Print(card.Condition!));
        var plain = Assert.IsType<RuleDecl>(file.Items[1]);
        Assert.Equal(Phase.Entry, plain.Phase);
        Assert.Null(plain.PhaseSpan);
        Assert.False(plain.HasEndRule);
    }

    [Fact]
    public void Rules_are_newline_insensitive_and_endrule_is_optional()
    {
        var oneLine = Parse("RULE a ON read DO return EIO RULE b ON write DO delay 1ms; return EIO ENDRULE");
        var spread = Parse("RULE a\nON\nread\nDO\nreturn\nEIO\n\nRULE b ON write DO delay 1ms ;\n return EIO\nENDRULE\n");
        Assert.Equal(2, oneLine.Items.Length);
        Assert.Equal(Formatter.Format(oneLine), Formatter.Format(spread));
    }

    [Fact]
    public void Targets_syscall_list_class_and_function()
    {
        var rule = (RuleDecl)Parse("RULE r ON read, write, %file, malloc@libc DO return ENOMEM").Items[0];
        Assert.Collection(rule.Targets,
            t => Assert.Equal("read", Assert.IsType<SyscallTarget>(t).Name.Text),
            t => Assert.Equal("write", Assert.IsType<SyscallTarget>(t).Name.Text),
            t => Assert.Equal("file", Assert.IsType<ClassTarget>(t).Name.Text),
            t =>
            {
                var f = Assert.IsType<FunctionTarget>(t);
                Assert.Equal(("malloc", "libc"), (f.Function.Text, f.Library.Text));
            });
    }

    [Theory]
    [InlineData("not a == b", "Not(Equal(a, b))")]
    [InlineData("!a == b", "Equal(Not(a), b)")]
    [InlineData("a || b && c", "Or(a, And(b, c))")]
    [InlineData("a or b and not c", "Or(a, And(b, Not(c)))")]
    [InlineData("1 + 2 * 3 < 4 - 5", "Less(Add(1, Multiply(2, 3)), Subtract(4, 5))")]
    [InlineData("a - b - c", "Subtract(Subtract(a, b), c)")]
    [InlineData("path ~ \"x\" == true", "Equal(GlobMatch(path, \"x\"), true)")]
    [InlineData("-ENOENT == retval", "Equal(Negate(ENOENT), retval)")]
    [InlineData("(a || b) && c", "And((Or(a, b)), c)")]
    public void Operator_precedence(string expr, string tree)
    {
        var rule = (RuleDecl)Parse($"RULE r ON read IF {expr} DO return EIO").Items[0];
        Assert.Equal(tree, Shape(rule.Condition!));
    }

    private static string Shape(ExprNode e) => e switch
    {
        BinaryExpr b => $"{b.Op}({Shape(b.Left)}, {Shape(b.Right)})",
        UnaryExpr u => $"{u.Op}({Shape(u.Operand)})",
        ParenExpr p => $"({Shape(p.Inner)})",
        NameExpr n => n.FullName,
        LiteralExpr l => l.Text,
        CallExpr c => $"{c.Function.Text}({string.Join(", ", c.Arguments.Select(Shape))})",
        _ => "?",
    };

    [Fact]
    public void Literals_of_every_kind()
    {
        var rule = (RuleDecl)Parse("RULE r ON read IF arg0 == 0x1F && arg1 == 1_000 && 1.5e3 > 2.5 && elapsed > 1500us && chance(5%) && comm == 'raw\\d' && true DO return EIO").Items[0];
        var kinds = new List<LiteralKind>();
        void Walk(ExprNode e)
        {
            switch (e)
            {
                case LiteralExpr l: kinds.Add(l.Kind); break;
                case BinaryExpr b: Walk(b.Left); Walk(b.Right); break;
                case CallExpr c: foreach (var a in c.Arguments) Walk(a); break;
            }
        }
        Walk(rule.Condition!);
        Assert.Equal([LiteralKind.Hex, LiteralKind.Int, LiteralKind.Float, LiteralKind.Float, LiteralKind.Duration, LiteralKind.Percentage, LiteralKind.RawString, LiteralKind.Bool], kinds);
    }

    [Theory]
    [InlineData("var s = \"}\"; return s == \"}\";")]
    [InlineData("var v = @\"a \"\" } b\"; return true;")]
    [InlineData("var r = \"\"\"\n  } \"\" }\n  \"\"\"; return true;")]
    [InlineData("var i = $\"{(x > 1 ? \"}\" : \"{\")} {{\"; return true;")]
    [InlineData("var j = $$\"\"\"{ {{x}} }\"\"\"; return true;")]
    [InlineData("char c = '}'; // }\n /* } */ return c == '}';")]
    [InlineData("Func<int, int> f = x => { return x; }; return f(1) == 1;")]
    public void Health_body_is_captured_verbatim_with_its_position(string body)
    {
        string text = $"# check\nHEALTH h EVERY 5s TIMEOUT 1s {{{body}}}\nRULE after ON read DO return EIO\n";
        var file = Parse(text);
        var health = Assert.IsType<HealthDecl>(file.Items[0]);
        Assert.Equal(body, health.Body);
        Assert.Equal(body, text.Substring(health.BodySpan.Start, health.BodySpan.Length));
        Assert.Equal(new LinePosition(2, 31), file.Source.GetPosition(health.BodySpan.Start));
        Assert.IsType<RuleDecl>(file.Items[1]);
    }

    [Fact]
    public void Comments_are_collected_not_parsed()
    {
        var file = Parse("# a RULE in a comment\nRULE r ON read // DO nothing\nDO return EIO # end\n");
        Assert.Single(file.Items);
        Assert.Equal(["# a RULE in a comment", "// DO nothing", "# end"], file.Comments.Select(c => c.Text));
    }

    [Fact]
    public void All_errors_in_a_file_are_reported()
    {
        var result = PhbParser.Parse(new SourceText("t.phb", "RULE a ON DO return EIO\nRULE b ON read DO\nRULE c ON read IF arg0 == DO return EIO\nRULE d ON read DO return EIO\n"));
        var lines = result.Diagnostics.Select(d => d.Position!.Value.Line).Distinct().ToArray();
        Assert.Equal([1, 3], lines.Take(2));
        Assert.True(result.Diagnostics.Count >= 3);
        // The well-formed rule survives recovery.
        Assert.Contains(result.File.Items, i => i is RuleDecl { Name.Text: "d" });
    }
}
