using System.Text;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Formatting;
using Phoebe.Lang.Syntax;
using Xunit.Abstractions;

namespace Phoebe.Lang.Tests.Fuzz;

/// <summary>
/// Seeded fuzzing of the whole front end: 10,000+ generated and mutated inputs.
/// Every input must compile without an exception; every rejected input must have an
/// error with a valid location; every input that parses must format to a fixed
/// point with the same meaning.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261121;
    private const int Inputs = 10_000;

    [Fact]
    public void Ten_thousand_generated_and_mutated_inputs_never_crash()
    {
        var random = new Random(Seed);
        var corpus = Corpus();
        var generator = new RuleGenerator(random);
        string emptyDir = Directory.CreateTempSubdirectory("phoebe-fuzz").FullName;
        var resolver = new SourceResolver(emptyDir);
        int rejected = 0, accepted = 0, formatted = 0;
        try
        {
            for (int i = 0; i < Inputs; i++)
            {
                string text = (i % 10) switch
                {
                    0 or 1 or 2 => generator.File(random.Next(1, 6)),
                    3 or 4 or 5 or 6 => Mutate(random, random.Next(3) == 0 ? generator.File(3) : corpus[random.Next(corpus.Count)]),
                    7 => Garbage(random),
                    _ => TokenSoup(random),
                };
                var outcome = CheckOne(text, resolver, i);
                if (outcome.Rejected) rejected++; else accepted++;
                if (outcome.Formatted) formatted++;
            }
        }
        finally
        {
            Directory.Delete(emptyDir, recursive: true);
        }
        output.WriteLine($"{Inputs} inputs: {accepted} accepted, {rejected} rejected, {formatted} formatted round trips");
        // The generator must exercise both sides, or the test proves little.
        Assert.True(accepted > Inputs / 10, $"only {accepted} inputs were accepted");
        Assert.True(rejected > Inputs / 5, $"only {rejected} inputs were rejected");
        Assert.True(formatted > Inputs / 4, $"only {formatted} inputs were formatted");
    }

    private static (bool Rejected, bool Formatted) CheckOne(string text, SourceResolver resolver, int index)
    {
        var source = new SourceText("fuzz.phb", text);
        CompilationResult result;
        try
        {
            result = PhoebeCompiler.Compile(source, resolver);
        }
        catch (Exception e)
        {
            Assert.Fail($"input {index} threw {e.GetType().Name}: {e.Message}\n--- input ---\n{Preview(text)}");
            throw;
        }
        foreach (var d in result.Diagnostics)
        {
            if (d.Source is { } s)
            {
                Assert.True(d.Span.Start >= 0 && d.Span.End <= s.Text.Length, $"input {index}: span {d.Span} outside the text ({s.Text.Length}) for {d.Code}");
                var pos = s.GetPosition(d.Span.Start);
                Assert.True(pos.Line >= 1 && pos.Column >= 1);
            }
            _ = DiagnosticRenderer.Render(d);
        }
        if (result.HasErrors)
        {
            Assert.Contains(result.Diagnostics, d => d.Severity == Severity.Error && d.Source != null);
            Assert.Null(result.Plan);
        }
        else
        {
            Assert.NotNull(result.Plan);
        }

        var parsed = PhbParser.Parse(source);
        if (parsed.HasErrors) return (result.HasErrors, false);
        string once = Formatter.Format(parsed.File);
        var reparsed = PhbParser.Parse(new SourceText("fuzz.phb", once));
        Assert.False(reparsed.HasErrors, $"input {index}: formatted text does not parse:\n{Preview(once)}\n--- from ---\n{Preview(text)}");
        string twice = Formatter.Format(reparsed.File);
        Assert.True(once == twice, $"input {index}: formatting is not idempotent:\n{Preview(once)}\n--- second ---\n{Preview(twice)}");
        Assert.Equal(parsed.File.Comments.Length, reparsed.File.Comments.Length);
        var after = PhoebeCompiler.Compile(new SourceText("fuzz.phb", once), resolver);
        Assert.Equal(Meaning.Of(result), Meaning.Of(after));
        return (result.HasErrors, true);
    }

    private static List<string> Corpus()
    {
        var files = new List<string>();
        foreach (var dir in new[] { "examples", "stdlib", Path.Combine("tests", "Phoebe.Lang.Tests", "cases") })
        {
            string full = Path.Combine(TestPaths.RepoRoot, dir);
            if (!Directory.Exists(full)) continue;
            files.AddRange(Directory.EnumerateFiles(full, "*.phb", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllText));
        }
        Assert.True(files.Count >= 10, "the fuzz corpus needs the repository's .phb files");
        return files;
    }

    private static readonly string[] Tokens =
    [
        "RULE", "ON", "ENTRY", "EXIT", "IF", "DO", "ENDRULE", "HEALTH", "EVERY", "TIMEOUT", "import", "return", "delay",
        "signal", "log", "and", "or", "not", "mod", "true", "false", "openat", "read", "write", "futex", "%file", "%network",
        "malloc@libc", "ENOENT", "EIO", "ETIMEDOUT", "SIGTERM", "arg0", "path", "rate", "observed.max", "call", "chance(",
        "(", ")", ",", ";", ".", "@", "%", "+", "-", "*", "/", "&&", "||", "!", "==", "!=", "<", "<=", ">", ">=", "~", "=~",
        "{", "}", "\"", "'", "\"str\"", "'raw'", "10ms", "5%", "0x1F", "1.5", "42", "#c\n", "//c\n", "\n", " ", "$\"{x}\"",
        "\"\"\"", "@\"", "/*", "*/", "=", "&", "|", "`", "é", "\0",
    ];

    private static string TokenSoup(Random r)
    {
        var sb = new StringBuilder();
        int n = r.Next(1, 60);
        for (int i = 0; i < n; i++) sb.Append(Tokens[r.Next(Tokens.Length)]).Append(r.Next(4) == 0 ? "" : " ");
        return sb.ToString();
    }

    private static string Garbage(Random r)
    {
        var bytes = new byte[r.Next(0, 400)];
        r.NextBytes(bytes);
        return r.Next(2) == 0 ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);
    }

    private static string Mutate(Random r, string text)
    {
        var sb = new StringBuilder(text);
        int edits = r.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int pos = sb.Length == 0 ? 0 : r.Next(sb.Length);
            switch (r.Next(7))
            {
                case 0 when sb.Length > 0: sb.Remove(pos, Math.Min(r.Next(1, 12), sb.Length - pos)); break;
                case 1: sb.Insert(pos, Tokens[r.Next(Tokens.Length)]); break;
                case 2 when sb.Length > 0: sb[pos] = (char)r.Next(32, 127); break;
                case 3 when sb.Length > 0:
                    int len = Math.Min(r.Next(1, 40), sb.Length - pos);
                    sb.Insert(pos, sb.ToString(pos, len));
                    break;
                case 4: sb.Length = pos; break;
                case 5: sb.Insert(pos, "\n"); break;
                default: sb.Insert(pos, ' '); break;
            }
        }
        return sb.ToString();
    }

    private static string Preview(string s) => s.Length > 600 ? s[..600] + "..." : s;
}
