using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// A control socket for a running injection (<c>phoebe run --control PATH</c>): another process (the
/// experiment orchestrator, a REPL, a script with <c>socat</c>) enables and disables rules and reads their
/// counters while the target runs. A Unix stream socket; one command per line, one reply line per command:
/// <list type="bullet">
/// <item><c>enable NAME...</c>, <c>disable NAME...</c>: <c>ok</c>, or <c>error ...</c> naming an unknown rule (then nothing changes);</item>
/// <item><c>stats</c>: one JSON object: <c>{"elapsedSeconds", "targetPid", "rules": [{"name", "enabled", "calls", "matched", "injected"}]}</c>;</item>
/// <item><c>ping</c>: <c>pong</c>.</item>
/// </list>
/// </summary>
public sealed class ControlServer : IDisposable
{
    private readonly InjectionEngine engine;
    private readonly Func<int> targetPid;
    private readonly Socket listener;
    private readonly string path;
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread acceptor;

    private ControlServer(InjectionEngine engine, Func<int> targetPid, Socket listener, string path)
    {
        this.engine = engine;
        this.targetPid = targetPid;
        this.listener = listener;
        this.path = path;
        acceptor = new Thread(Accept) { IsBackground = true, Name = "phoebe control" };
        acceptor.Start();
    }

    /// <summary>The socket's path.</summary>
    public string SocketPath => path;

    /// <summary>Listens on <paramref name="path"/>, which must not exist; throws <see cref="SocketException"/> or <see cref="IOException"/> when it cannot.</summary>
    public static ControlServer Start(string path, InjectionEngine engine, Func<int> targetPid)
    {
        ArgumentNullException.ThrowIfNull(engine);
        // Never delete what is there: it may be another process's socket, or a file.
        if (Path.Exists(path)) throw new IOException($"{path} already exists: remove it or choose another path");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(8);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ControlServer(engine, targetPid, socket, path);
    }

    private void Accept()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            var thread = new Thread(() => Serve(client)) { IsBackground = true, Name = "phoebe control client" };
            thread.Start();
        }
    }

    private void Serve(Socket client)
    {
        using var _ = client;
        using var stream = new NetworkStream(client, ownsSocket: false);
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        try
        {
            while (!stopping.IsCancellationRequested && reader.ReadLine() is { } line)
            {
                if (line.Length > 64 * 1024)
                {
                    writer.WriteLine("error command too long");
                    return;
                }
                writer.WriteLine(Execute(line));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The client went away.
        }
    }

    /// <summary>Runs one command line and returns the reply line.</summary>
    internal string Execute(string line)
    {
        var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) return "error empty command; commands: enable NAME..., disable NAME..., stats, ping";
        switch (words[0])
        {
            case "ping":
                return "pong";
            case "enable" or "disable":
                if (words.Length == 1) return $"error {words[0]} needs rule names";
                var known = engine.Rules.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
                var unknown = words.Skip(1).Where(n => !known.Contains(n)).ToList();
                if (unknown.Count > 0) return $"error no rule named {string.Join(", ", unknown)}; rules: {string.Join(", ", known)}";
                foreach (var name in words.Skip(1)) engine.SetEnabled(name, words[0] == "enable");
                return "ok";
            case "stats":
                return Stats();
            default:
                return $"error unknown command `{words[0]}`; commands: enable NAME..., disable NAME..., stats, ping";
        }
    }

    private string Stats()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("elapsedSeconds", Math.Round(engine.Elapsed.TotalSeconds, 6));
            json.WriteNumber("targetPid", targetPid());
            json.WriteStartArray("rules");
            foreach (var rule in engine.Rules)
            {
                json.WriteStartObject();
                json.WriteString("name", rule.Name);
                json.WriteBoolean("enabled", rule.Enabled);
                json.WriteNumber("calls", rule.Calls);
                json.WriteNumber("matched", rule.Matched);
                json.WriteNumber("injected", rule.Injected);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Stops listening, ends the connections and removes the socket file.</summary>
    public void Dispose()
    {
        if (stopping.IsCancellationRequested) return;
        stopping.Cancel();
        listener.Dispose();
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: the next Start replaces a stale socket.
        }
        stopping.Dispose();
    }
}
