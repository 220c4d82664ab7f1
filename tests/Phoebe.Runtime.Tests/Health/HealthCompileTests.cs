using Phoebe.Lang;
using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;

namespace Phoebe.Runtime.Tests.Health;

/// <summary>C# errors and warnings of HEALTH bodies land at the right .phb line and column.</summary>
public sealed class HealthCompileTests
{
    private static Diagnostic Single(HealthPassResult pass, string code)
    {
        var found = pass.Result.Diagnostics.Where(d => d.Code == code).ToArray();
        Assert.True(found.Length == 1, $"expected one {code}, got:\n{HealthSources.Render(pass.Result.Diagnostics)}");
        return found[0];
    }

    [Fact]
    public void Error_on_the_first_line_of_the_body_is_offset_by_the_brace_column()
    {
        var pass = HealthSources.Compile("HEALTH one_line { return missing > 0; }\n");
        var d = Single(pass, "PHB1030");
        Assert.Equal(new LinePosition(1, 26), d.Position);
        Assert.Equal("missing".Length, d.Span.Length);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal("C# error CS0103: The name 'missing' does not exist in the current context", d.Message);
        string rendered = DiagnosticRenderer.Render(d);
        Assert.StartsWith("checks.phb:1:26: error PHB1030: C# error CS0103: The name 'missing' does not exist in the current context\n" +
            "HEALTH one_line { return missing > 0; }\n" +
            "                         ^~~~~~~\n", rendered);
        Assert.Contains("hint: a health check can use Target", rendered);
        Assert.Null(pass.Result.Plan);
        Assert.Empty(pass.Checks);
    }

    [Fact]
    public void Error_on_a_later_line_keeps_its_own_column()
    {
        const string text = "RULE r ON read DO return EIO\n\nHEALTH later EVERY 2s {\n    var s = \"ok\";\n    return s.Lenght > 0;\n}\n";
        var d = Single(HealthSources.Compile(text), "PHB1030");
        Assert.Equal(new LinePosition(5, 14), d.Position);
        Assert.StartsWith("C# error CS1061: 'string' does not contain a definition for 'Lenght'", d.Message);
    }

    [Fact]
    public void Body_starting_on_the_brace_line_maps_both_its_lines()
    {
        const string text = "HEALTH same_line {  int n = \"text\";\n  return n > nope; }\n";
        var pass = HealthSources.Compile(text);
        var errors = pass.Result.Diagnostics.Where(d => d.Code == "PHB1030").ToArray();
        Assert.Equal(2, errors.Length);
        Assert.Equal(new LinePosition(1, 29), errors[0].Position);
        Assert.Contains("CS0029", errors[0].Message);
        Assert.Equal("\"text\"".Length, errors[0].Span.Length);
        Assert.Equal(new LinePosition(2, 14), errors[1].Position);
        Assert.Contains("CS0103: The name 'nope'", errors[1].Message);
    }

    [Fact]
    public void Body_on_the_lines_after_the_brace_with_crlf_and_tabs()
    {
        var d = Single(HealthSources.Compile("# checks\r\nHEALTH crlf TIMEOUT 2s {\r\n\treturn nope;\r\n}\r\n"), "PHB1030");
        Assert.Equal(new LinePosition(3, 9), d.Position);
    }

    [Fact]
    public void Two_checks_with_one_body_compile_once_and_report_at_their_own_places()
    {
        var compiler = new HealthCompiler();
        var pass = HealthSources.Compile("HEALTH a { return nope; }\nHEALTH b { return nope; }\n", compiler: compiler);
        var errors = pass.Result.Diagnostics.Where(d => d.Code == "PHB1030").Select(d => d.Position).ToArray();
        Assert.Equal([new LinePosition(1, 19), new LinePosition(2, 19)], errors);
        Assert.Equal(1, compiler.CachedBodies);
        Assert.Equal(HealthCompileOrigin.Compiled, pass.Compilations[0].Origin);
        Assert.Equal(HealthCompileOrigin.MemoryCache, pass.Compilations[1].Origin);
    }

    [Fact]
    public void Warning_is_reported_and_the_check_still_runs()
    {
        var pass = HealthSources.Compile("HEALTH after_return { return true; Log(\"never\"); }\n");
        var d = Single(pass, "PHB1031");
        Assert.Equal(Severity.Warning, d.Severity);
        Assert.StartsWith("C# warning CS0162: Unreachable code detected", d.Message);
        Assert.Equal(new LinePosition(1, 36), d.Position);
        Assert.False(pass.Result.HasErrors);
        Assert.NotNull(pass.Result.Plan);
        Assert.Single(pass.Checks);
    }

    [Fact]
    public void Nullable_annotations_are_not_warnings()
    {
        var pass = HealthSources.Compile("HEALTH annotated { string? s = null; return s is null; }\n");
        Assert.Empty(pass.Result.Diagnostics);
    }

    [Fact]
    public void A_body_that_does_not_always_return_is_an_error_at_its_closing_brace()
    {
        var never = Single(HealthSources.Compile("HEALTH forgot {\n    Log(\"checked\");\n}\n"), "PHB1030");
        Assert.Equal("C# error CS0161: not all code paths of this health check return a result", never.Message);
        Assert.Equal(new LinePosition(3, 1), never.Position);
        Assert.Equal(1, never.Span.Length);

        var sometimes = Single(HealthSources.Compile("HEALTH partly { if (Target.Alive) return true; }"), "PHB1030");
        Assert.StartsWith("C# error CS0161:", sometimes.Message);
        Assert.Equal(new LinePosition(1, 48), sometimes.Position);

        var lambdaOnly = Single(HealthSources.Compile("HEALTH t { Func<bool> f = () => { return true; }; f(); }"), "PHB1030");
        Assert.StartsWith("C# error CS0161:", lambdaOnly.Message);
    }

    [Theory]
    [InlineData("HEALTH t { return Target.Alive; }")]
    [InlineData("HEALTH t { bool Inner() { return false; } return Inner(); }")]
    [InlineData("HEALTH t { if (Target.Pid > 0) { return true; } else { throw new Exception(\"no target\"); } }")]
    [InlineData("HEALTH t { throw new NotImplementedException(); }")]
    [InlineData("HEALTH t { using var m = new MemoryStream(); await using var n = new MemoryStream(); return m.Length == n.Length; }")]
    [InlineData("HEALTH t {\nusing System.Globalization;\nusing Json = System.Text.Json.JsonSerializer;\nreturn CultureInfo.InvariantCulture.Name == \"\" && Json.Serialize(1) == \"1\";\n}")]
    [InlineData("HEALTH t {\nusing System.Collections.Concurrent;\nvar seen = new ConcurrentDictionary<string, int>();\nConsole.Out.Flush();\nreturn seen.TryAdd(\"a\", 1) && new Uri(\"http://x/\").Host == \"x\" && IPAddress.Loopback.ToString() == \"127.0.0.1\";\n}")]
    public void Bodies_that_return_on_every_path_compile(string text) =>
        Assert.Empty(HealthSources.Compile(text).Result.Diagnostics);

    [Fact]
    public void Error_after_leading_using_directives_is_still_in_place()
    {
        var d = Single(HealthSources.Compile("HEALTH usings {\nusing System.Globalization;\nreturn nope;\n}"), "PHB1030");
        Assert.Equal(new LinePosition(3, 8), d.Position);
    }

    [Fact]
    public void Wrong_return_type_says_what_a_check_returns()
    {
        var d = Single(HealthSources.Compile("HEALTH wrong { return 200; }"), "PHB1030");
        Assert.StartsWith("C# error CS0029: Cannot implicitly convert type 'int' to 'Phoebe.Runtime.Health.HealthResult'", d.Message);
        Assert.Contains(d.Hints, h => h.Contains("returns a bool or a HealthResult", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("#r \"/tmp/evil.dll\"\nreturn true;")]
    [InlineData("#load \"/tmp/other.csx\"\nreturn true;")]
    public void Reference_and_load_directives_are_refused(string body)
    {
        var pass = HealthSources.Compile($"HEALTH directives {{\n{body}\n}}\n");
        var error = Assert.Single(pass.Result.Diagnostics, d => d.Code == "PHB1030");
        Assert.Equal(2, error.Position!.Value.Line);
    }

    [Fact]
    public void Without_the_source_text_the_position_is_in_the_message()
    {
        var plan = new HealthCheckPlan("h", new SourceLocation("x.phb", 4, 1), " return nope; ",
            new SourceLocation("x.phb", 4, 10), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
        var compilation = HealthSources.Compiler.Compile(plan, null);
        var d = Assert.Single(compilation.Diagnostics);
        Assert.Null(d.Source);
        Assert.StartsWith("x.phb:4:18: C# error CS0103: The name 'nope'", d.Message);
        Assert.Null(compilation.Check);
    }

    [Fact]
    public void Program_without_health_checks_is_left_alone()
    {
        var result = PhoebeCompiler.Compile(new SourceText("rules.phb", "RULE r ON read DO return EIO\n"));
        var pass = HealthPass.Run(result);
        Assert.Same(result, pass.Result);
        Assert.Empty(pass.Compilations);
    }

    [Fact]
    public void Csharp_diagnostics_merge_in_source_order_with_the_languages()
    {
        // PHB1017 (unrealistic errno) is a language warning on line 3, after the health check's C# warning on line 1.
        const string text = "HEALTH h { return true; Log(\"x\"); }\n\nRULE r ON connect DO return EROFS\n";
        var pass = HealthSources.Compile(text);
        Assert.Equal(["PHB1031", "PHB1017"], pass.Result.Diagnostics.Select(d => d.Code));
    }

    [Fact]
    public async Task Disk_cache_serves_a_later_compiler_without_roslyn()
    {
        var dir = Directory.CreateTempSubdirectory("phoebe-health-cache-");
        try
        {
            string body = $"HEALTH cached {{ return Healthy({Random.Shared.Next()}, \"v\"); }}\nHEALTH broken {{ return nope{Random.Shared.Next()}; }}\n";
            var first = HealthSources.Compile(body, compiler: new HealthCompiler(dir.FullName));
            Assert.All(first.Compilations, c => Assert.Equal(HealthCompileOrigin.Compiled, c.Origin));
            Assert.Equal(3, dir.GetFiles().Length); // cached.dll, cached.json, broken.json

            var second = HealthSources.Compile(body, compiler: new HealthCompiler(dir.FullName));
            Assert.All(second.Compilations, c => Assert.Equal(HealthCompileOrigin.DiskCache, c.Origin));
            Assert.Equal(HealthSources.Render(first.Result.Diagnostics), HealthSources.Render(second.Result.Diagnostics));
            Assert.True(second.Compilations[1].HasErrors);

            var outcome = await new HealthRunner().RunAsync(second.Compilations[0].Check!);
            Assert.Equal(HealthStatus.Healthy, outcome.Status);
            Assert.Equal("v", outcome.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Damaged_disk_cache_entry_is_compiled_again()
    {
        var dir = Directory.CreateTempSubdirectory("phoebe-health-cache-");
        try
        {
            // A long TIMEOUT: the run that finds the damage compiles the body again (Roslyn may be cold).
            string body = $"HEALTH cached TIMEOUT 60s {{ return Healthy({Random.Shared.Next()}); }}\n";
            HealthSources.Compile(body, compiler: new HealthCompiler(dir.FullName));
            foreach (var dll in dir.GetFiles("*.dll")) File.WriteAllText(dll.FullName, "not an assembly");

            var pass = HealthSources.Compile(body, compiler: new HealthCompiler(dir.FullName));
            var outcome = await new HealthRunner().RunAsync(Assert.Single(pass.Checks));
            Assert.Equal(HealthStatus.Healthy, outcome.Status);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Default_cache_directory_follows_the_environment()
    {
        // Only the documented precedence, without touching the real environment: PHOEBE_HEALTH_CACHE=off means none.
        string? setting = Environment.GetEnvironmentVariable("PHOEBE_HEALTH_CACHE");
        string? dir = HealthCompiler.DefaultCacheDirectory();
        if (setting is "off") Assert.Null(dir);
        else if (!string.IsNullOrEmpty(setting)) Assert.Equal(setting, dir);
        else Assert.EndsWith(Path.Combine("phoebe", "health"), dir);
    }
}
