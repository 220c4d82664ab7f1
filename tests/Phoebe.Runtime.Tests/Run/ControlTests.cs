using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// <c>phoebe run --control SOCKET [--disabled]</c>: rules switched on and off from another process while
/// the target runs, as the experiment orchestrator does, with their counters read back.
/// </summary>
public sealed class ControlTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private sealed class Client : IDisposable
    {
        private readonly Socket socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly StreamReader reader;
        private readonly StreamWriter writer;

        public Client(string path, RunningProcess phoebe)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(path));
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !phoebe.HasExited)
                {
                    Thread.Sleep(20);
                }
            }
            var stream = new NetworkStream(socket, ownsSocket: false);
            reader = new StreamReader(stream, new UTF8Encoding(false));
            writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        }

        public string Send(string command)
        {
            writer.WriteLine(command);
            return reader.ReadLine() ?? throw new IOException("the control socket closed");
        }

        public void Dispose()
        {
            reader.Dispose();
            writer.Dispose();
            socket.Dispose();
        }
    }

    private static int Ticks(RunningProcess p, string suffix) =>
        p.StdoutSoFar.Split('\n').Count(l => l.StartsWith("tick ", StringComparison.Ordinal) && l.EndsWith(suffix, StringComparison.Ordinal));

    [SkippableFact]
    public void Rules_start_disabled_and_are_switched_on_and_off_over_the_socket()
    {
        string socketPath = dir.File("control.sock");
        using var run = PhoebeCli.Start(["run", "-q", "--control", socketPath, "--disabled", "-e", "RULE deny ON getpid DO return EPERM",
            "--", TargetBuilder.Path("sleeper"), "-i", "20", "/etc/hostname"]);
        using var client = new Client(socketPath, run);
        Assert.Equal("pong", client.Send("ping"));

        // Disabled: the target's getpid succeeds.
        run.WaitForStdoutLine(l => l.StartsWith("tick 3 getpid", StringComparison.Ordinal), Timeout);
        Assert.Equal(0, Ticks(run, "getpid -> -1 EPERM"));
        using (var stats = JsonDocument.Parse(client.Send("stats")))
        {
            var rule = stats.RootElement.GetProperty("rules")[0];
            Assert.Equal("deny", rule.GetProperty("name").GetString());
            Assert.False(rule.GetProperty("enabled").GetBoolean());
            Assert.Equal(0, rule.GetProperty("injected").GetInt64());
            Assert.True(stats.RootElement.GetProperty("targetPid").GetInt32() > 0);
        }

        Assert.Equal("ok", client.Send("enable deny"));
        var deadline = DateTime.UtcNow + Timeout;
        while (Ticks(run, "getpid -> -1 EPERM") < 3) Assert.True(DateTime.UtcNow < deadline, run.StdoutSoFar);
        long injected;
        using (var stats = JsonDocument.Parse(client.Send("stats")))
        {
            var rule = stats.RootElement.GetProperty("rules")[0];
            Assert.True(rule.GetProperty("enabled").GetBoolean());
            injected = rule.GetProperty("injected").GetInt64();
            Assert.True(injected >= 3, $"{injected} injections");
        }

        Assert.Equal("ok", client.Send("disable deny"));
        int okBefore = Ticks(run, "getpid -> ok");
        while (Ticks(run, "getpid -> ok") < okBefore + 3) Assert.True(DateTime.UtcNow < deadline, run.StdoutSoFar);
        // Every injection the engine counted is one the target saw, and none came after the disable.
        using (var stats = JsonDocument.Parse(client.Send("stats")))
        {
            Assert.Equal(Ticks(run, "getpid -> -1 EPERM"), stats.RootElement.GetProperty("rules")[0].GetProperty("injected").GetInt64());
        }

        Assert.StartsWith("error no rule named nope", client.Send("enable nope"));
        Assert.StartsWith("error unknown command", client.Send("explode"));
        run.Kill();
    }

    [SkippableFact]
    public void An_existing_path_is_refused_and_disabled_needs_control()
    {
        string taken = dir.Write("taken", "not a socket");
        var r = PhoebeCli.Run(["run", "-q", "--control", taken, "-e", "RULE deny ON getpid DO return EPERM", "--", "true"]);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("already exists", r.Stderr);
        Assert.Equal("not a socket", File.ReadAllText(taken));

        var usage = PhoebeCli.Run(["run", "--disabled", "-e", "RULE deny ON getpid DO return EPERM", "--", "true"]);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--disabled needs --control", usage.Stderr);
    }
}
