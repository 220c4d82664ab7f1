using System.Diagnostics;
using System.Text.RegularExpressions;
using Phoebe.Runtime.Health;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Health;

/// <summary>The Tcp, Http and Process helpers, against real local servers and programs, within the TIMEOUT.</summary>
public sealed partial class HealthHelpersTests
{
    private static Task<HealthOutcome> Run(string phb, HealthRunner? runner = null) =>
        (runner ?? new HealthRunner()).RunAsync(HealthSources.Check(phb));

    [GeneratedRegex(@"^```phb\n(?<code>HEALTH (?<name>\w+).*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex DocsCheck();

    /// <summary>The HEALTH block named <paramref name="name"/> in docs/health.md.</summary>
    internal static string DocsExample(string name)
    {
        string docs = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "health.md"));
        return DocsCheck().Matches(docs).Single(m => m.Groups["name"].Value == name).Groups["code"].Value;
    }

    [Fact]
    public async Task Docs_redis_example_speaks_resp_to_a_fake_redis()
    {
        using var redis = LoopbackServer.FakeRedis();
        var outcome = await Run(DocsExample("redis_set_get").Replace("6379", redis.Port.ToString()));
        Assert.True(outcome.Ok, outcome.ToString());

        using var broken = LoopbackServer.FakeRedis(corrupt: true);
        var bad = await Run(DocsExample("redis_set_get").Replace("6379", broken.Port.ToString()));
        Assert.Equal(HealthStatus.Unhealthy, bad.Status);
        Assert.StartsWith("GET answered $33 ", bad.Message);
    }

    [SkippableFact]
    public async Task Docs_redis_example_passes_against_a_real_redis_server()
    {
        string server = HostTools.Require("redis-server", "a real RESP peer: apt-get install redis-server");
        int port = LoopbackServer.ClosedPort();
        using var redis = RunningProcess.Start(new ProcessSpec(server, ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]));
        var ping = HealthSources.Check($"HEALTH ping {{ return Tcp.CanConnect(\"127.0.0.1\", {port}) && Tcp.RoundTrip(\"127.0.0.1\", {port}, \"PING\\r\\n\") == \"+PONG\"; }}");
        var runner = new HealthRunner();
        var clock = Stopwatch.StartNew();
        while (!(await runner.RunAsync(ping)).Ok)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "redis-server did not answer PING within 10 s");
            await Task.Delay(50);
        }
        var outcome = await Run(DocsExample("redis_set_get").Replace("6379", port.ToString()), runner);
        Assert.True(outcome.Ok, outcome.ToString());
    }

    [Fact]
    public async Task Tcp_sync_helpers_connect_and_round_trip()
    {
        using var redis = LoopbackServer.FakeRedis();
        int closed = LoopbackServer.ClosedPort();
        var outcome = await Run($"HEALTH sync_tcp {{\n" +
            $"  if (Tcp.CanConnect(\"127.0.0.1\", {closed})) return Unhealthy(\"closed port accepted\");\n" +
            $"  using var c = Tcp.Connect(\"127.0.0.1\", {redis.Port});\n" +
            $"  c.WriteLine(\"SET k hello\");\n" +
            $"  if (c.ReadLine() != \"+OK\") return false;\n" +
            $"  string got = c.RoundTrip(\"GET k\\r\\n\", lines: 2);\n" +
            $"  return got == \"$5\\nhello\" && Tcp.RoundTrip(\"127.0.0.1\", {redis.Port}, \"PING\\r\\n\") == \"+PONG\";\n}}");
        Assert.True(outcome.Ok, outcome.ToString());
    }

    [Fact]
    public async Task Tcp_read_from_a_silent_peer_stops_at_the_timeout()
    {
        using var silent = LoopbackServer.Silent();
        var runner = new HealthRunner();
        foreach (var body in new[]
        {
            $"await using var c = await Tcp.ConnectAsync(\"127.0.0.1\", {silent.Port}); return await c.ReadLineAsync() != null;",
            $"return Tcp.RoundTrip(\"127.0.0.1\", {silent.Port}, \"PING\\r\\n\") == \"+PONG\";",
        })
        {
            var check = HealthSources.Check($"HEALTH silent TIMEOUT 300ms {{ {body} }}");
            var outcome = await runner.RunAsync(check);
            Assert.Equal(HealthStatus.TimedOut, outcome.Status);
            await HealthRunnerTests.WaitUntil(() => !runner.IsRunning(check));
        }
    }

    [Fact]
    public async Task Docs_http_example_reads_status_body_and_latency()
    {
        using var ready = LoopbackServer.Http(200, "{\"ready\": true}");
        var outcome = await Run(DocsExample("api_status").Replace("8080", ready.Port.ToString()));
        Assert.True(outcome.Ok, outcome.ToString());
        Assert.Equal("latency, ms", outcome.Message);
        Assert.True(outcome.Value > 0);

        using var down = LoopbackServer.Http(503, "{}");
        var failed = await Run(DocsExample("api_status").Replace("8080", down.Port.ToString()));
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("GET /status: 503", failed.Message);
    }

    [Fact]
    public async Task Http_without_an_answer_throws_and_fails_the_run()
    {
        int closed = LoopbackServer.ClosedPort();
        var outcome = await Run($"HEALTH refused {{ var r = Http.Get(\"http://127.0.0.1:{closed}/\"); return r.IsSuccess; }}");
        Assert.Equal(HealthStatus.Failed, outcome.Status);
        Assert.StartsWith("HttpRequestException: ", outcome.Message);
    }

    [Fact]
    public async Task Process_run_returns_exit_code_and_output()
    {
        var outcome = await Run("HEALTH proc {\n" +
            "  var r = Process.Run(\"sh\", \"-c\", \"echo out; echo err >&2; exit 3\");\n" +
            "  var s = Process.Shell(\"printf '%s' \\\"$0\\\"\");\n" +
            "  return r.ExitCode == 3 && !r.Ok && r.Output == \"out\\n\" && r.Error == \"err\\n\" && s.Ok && s.Output == \"/bin/sh\";\n}");
        Assert.True(outcome.Ok, outcome.ToString());
    }

    [Fact]
    public async Task Process_still_running_at_the_timeout_is_killed()
    {
        string pidFile = Path.Combine(Path.GetTempPath(), $"phoebe-health-{Guid.NewGuid():N}.pid");
        try
        {
            var runner = new HealthRunner();
            var check = HealthSources.Check($"HEALTH hangs TIMEOUT 300ms {{ return (await Process.ShellAsync(\"echo $$ > {pidFile}; exec sleep 30\")).Ok; }}");
            var outcome = await runner.RunAsync(check);
            Assert.Equal(HealthStatus.TimedOut, outcome.Status);
            int pid = int.Parse(File.ReadAllText(pidFile).Trim());
            await HealthRunnerTests.WaitUntil(() => !ProcessHealthTarget.IsAlive(pid));
            await HealthRunnerTests.WaitUntil(() => !runner.IsRunning(check));
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task Missing_program_fails_with_a_clear_message()
    {
        var outcome = await Run("HEALTH missing { return Process.Run(\"no-such-program-phoebe\").Ok; }");
        Assert.Equal(HealthStatus.Failed, outcome.Status);
        Assert.StartsWith("InvalidOperationException: cannot run no-such-program-phoebe", outcome.Message);
    }

    [Fact]
    public void Process_target_is_alive_until_it_is_reaped()
    {
        Assert.True(ProcessHealthTarget.IsAlive(Environment.ProcessId));
        Assert.False(ProcessHealthTarget.IsAlive(0));
        using var child = System.Diagnostics.Process.Start(new ProcessStartInfo("sleep", "30"))!;
        var target = new ProcessHealthTarget(child.Id);
        Assert.True(target.Alive);
        child.Kill();
        child.WaitForExit();
        Assert.False(target.Alive);
        target.Restarted(Environment.ProcessId);
        Assert.Equal(1, target.Restarts);
        Assert.True(target.Alive);
    }
}
