using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>
/// <c>phoebe experiment</c> end to end on examples/demo's server, whose four ways of handling errors are
/// known (examples/demo/README.md): each written experiment must get its verdict, the gate must fail on
/// the worst, and nothing may be left running.
/// </summary>
public sealed class CampaignTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The demo's server, rules and checks in the scratch directory, on a port of this test's own.</summary>
    private int CopyDemo()
    {
        int port = FreePort();
        string demo = Path.Combine(RepoPaths.Root, "examples", "demo");
        File.Copy(Path.Combine(demo, "server.c"), dir.File("server.c"));
        File.Copy(Path.Combine(demo, "rules.phb"), dir.File("rules.phb"));
        dir.Write("health.phb", File.ReadAllText(Path.Combine(demo, "health.phb")).Replace("7480", port.ToString(), StringComparison.Ordinal));
        return port;
    }

    private static IEnumerable<string> Processes(string name) =>
        Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "comm")).Where(File.Exists)
            .Select(f => { try { return File.ReadAllText(f).Trim(); } catch (IOException) { return ""; } })
            .Where(c => c == name);

    [SkippableFact]
    public void Each_written_experiment_gets_its_verdict_and_the_gate_fails_on_the_worst()
    {
        HostTools.Require("cc", "the scenario compiles the demo server: apt-get install gcc");
        int port = CopyDemo();
        string name = "kv" + port; // the server's comm, to find a leftover process
        dir.Write("scenario.yaml", $$"""
            version: 1
            name: demo-verdicts
            target:
              command: [./{{name}}, "{{port}}", data]
              build: [cc, -O2, -o, {{name}}, server.c]
              ready: { tcp: 127.0.0.1:{{port}}, timeout: 20s }
              restart: on-failure
            rules: rules.phb
            health: health.phb
            steady-state: { duration: 2s }
            defaults: { duration: 4s, cooldown: 0 }
            experiments:
              - { name: eagain_on_sockets, rules: [client_io_interrupted] }
              - { name: disk_full, rules: [log_disk_full] }
              - { name: fsync_eio, rules: [log_fsync_fails] }
              - { name: snapshot_enospc, rules: [snapshot_create_fails] }
            post-inspection: { duration: 1500ms }
            report: { formats: [json, md], allow: degraded }
            """);
        var r = PhoebeCli.Run(["experiment", "scenario.yaml", "--out", "out", "--seed", "7"], workingDirectory: dir.Path, timeout: Timeout);

        // Corrupted and crashed are worse than `allow: degraded`: the gate fails.
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("worse than the scenario allows", r.Stderr);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json")));
        var verdicts = report.RootElement.GetProperty("experiments").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("verdict").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["eagain_on_sockets"] = "resilient",
            ["disk_full"] = "degraded",
            ["fsync_eio"] = "corrupted",
            ["snapshot_enospc"] = "crashed",
        }, verdicts);
        foreach (var e in report.RootElement.GetProperty("experiments").EnumerateArray())
        {
            Assert.True(e.GetProperty("injections").GetInt64() > 0, $"{e.GetProperty("name")} injected nothing\n{r}");
        }
        // The corruption was cured by a restart (the log replays), and the crash ended the campaign's target.
        Assert.Equal(1, report.RootElement.GetProperty("restarts").GetInt32());
        Assert.Contains("SIGSEGV", File.ReadAllText(dir.File("out/report.md")));
        Assert.Empty(Processes(name));
    }

    [SkippableFact]
    public void A_target_that_never_gets_ready_fails_with_125_and_leaves_nothing_running()
    {
        int port = FreePort();
        dir.Write("health.phb", "HEALTH ok { return true; }\n");
        dir.Write("rules.phb", "RULE r ON getpid DO return EPERM\n");
        dir.Write("scenario.yaml", $$"""
            version: 1
            target:
              command: [sleep, "300"]
              ready: { tcp: 127.0.0.1:{{port}}, timeout: 1s }
            rules: rules.phb
            health: health.phb
            experiments: [{ name: e, rules: [r] }]
            """);
        var r = PhoebeCli.Run(["experiment", "scenario.yaml", "--out", "out"], workingDirectory: dir.Path, timeout: Timeout);
        Assert.True(r.ExitCode == 125, r.ToString());
        Assert.Contains($"not ready within 1s (nothing accepted connections on 127.0.0.1:{port})", r.Stderr);
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Where(File.Exists)
            .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } }), c => c == "sleep\0300\0");
    }

    [SkippableFact]
    public void Ctrl_c_stops_the_campaign_writes_the_reports_and_leaves_nothing_running()
    {
        dir.Write("health.phb", "HEALTH ok EVERY 200ms { return Target.Alive; }\n");
        dir.Write("rules.phb", "RULE r ON getpid DO return EPERM\n");
        // A target no other test runs (sleep with an odd duration), ready at once; a long steady state to interrupt.
        dir.Write("scenario.yaml", """
            version: 1
            target: { command: [sleep, "317"] }
            rules: rules.phb
            health: health.phb
            steady-state: { duration: 60s }
            experiments: [{ name: never_run, rules: [r] }]
            """);
        using var phoebe = PhoebeCli.Start(["experiment", "scenario.yaml", "--out", "out"], workingDirectory: dir.Path);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!phoebe.StderrSoFar.Contains("ready (pid", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline && !phoebe.HasExited, phoebe.StderrSoFar);
            Thread.Sleep(20);
        }
        Thread.Sleep(500); // some checks of the steady state
        Assert.Equal(0, Interop.LibC.Kill(phoebe.Id, 2));
        var r = phoebe.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 130, r.ToString());
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json")));
        Assert.True(report.RootElement.GetProperty("interrupted").GetBoolean());
        Assert.True(report.RootElement.GetProperty("steadyState").GetProperty("checks")[0].GetProperty("runs").GetInt32() > 0);
        var skipped = Assert.Single(report.RootElement.GetProperty("skipped").EnumerateArray());
        Assert.Equal("never_run", skipped.GetProperty("name").GetString());
        Assert.True(File.Exists(dir.File("out/report.md")) && File.Exists(dir.File("out/report.html")));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Where(File.Exists)
            .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } }), c => c == "sleep\0317\0");
    }

    [SkippableFact]
    public void Checks_read_the_live_injection_counts_of_the_current_experiment()
    {
        // sleeper calls getpid every 20 ms; the check reports Stats.InjectionsOf("deny") as its value.
        dir.Write("health.phb", "HEALTH seen EVERY 100ms { return Healthy(Stats.InjectionsOf(\"deny\"), \"injections of deny\"); }\n");
        dir.Write("rules.phb", "RULE deny ON getpid DO return EPERM\n");
        dir.Write("scenario.yaml", $$"""
            version: 1
            target: { command: [{{TargetBuilder.Path("sleeper")}}, -i, "20", /etc/hostname] }
            rules: rules.phb
            health: health.phb
            steady-state: { duration: 1s }
            experiments: [{ name: denied, rules: [deny], duration: 2s, cooldown: 0 }]
            post-inspection: { duration: 500ms }
            report: { formats: [json], allow: corrupted }
            """);
        var r = PhoebeCli.Run(["experiment", "scenario.yaml", "--out", "out"], workingDirectory: dir.Path, timeout: Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var report = JsonDocument.Parse(File.ReadAllText(dir.File("out/report.json")));
        static double[] Values(JsonElement phase) =>
            [.. phase.GetProperty("checks")[0].GetProperty("samples").EnumerateArray().Select(s => s.GetProperty("value").GetDouble())];
        Assert.All(Values(report.RootElement.GetProperty("steadyState")), v => Assert.Equal(0, v));
        var experiment = report.RootElement.GetProperty("experiments")[0];
        var window = Values(experiment.GetProperty("window"));
        Assert.True(window.Max() > 0, string.Join(", ", window));
        // The counts only grow during the window, and never past what the experiment injected.
        Assert.Equal(window.Order(), window);
        Assert.True(window.Max() <= experiment.GetProperty("injections").GetInt64());
    }
}
