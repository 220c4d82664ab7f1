using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Phoebe.Runtime.Tests.Health;

/// <summary>A TCP server on 127.0.0.1 (a free port) that hands each connection to a handler; stops when disposed.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;

    public LoopbackServer(Func<NetworkStream, CancellationToken, Task> handler)
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await handler(client.GetStream(), stop.Token);
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
                        {
                        }
                    }
                });
            }
        });
    }

    public int Port { get; }

    /// <summary>A port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        try { accepting.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        stop.Dispose();
    }

    /// <summary>
    /// A tiny redis: inline commands PING, SET key value [PX ms] and GET key, answered in RESP.
    /// <paramref name="corrupt"/> makes GET answer a different value, as a broken store would.
    /// </summary>
    public static LoopbackServer FakeRedis(bool corrupt = false)
    {
        var data = new ConcurrentDictionary<string, string>();
        return new LoopbackServer(async (stream, ct) =>
        {
            using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string answer = words switch
                {
                    ["PING"] => "+PONG\r\n",
                    ["SET", var k, var v, ..] => Set(k, v),
                    ["GET", var k] => data.TryGetValue(k, out var v) ? Bulk(corrupt ? v + "x" : v) : "$-1\r\n",
                    _ => $"-ERR unknown command '{line}'\r\n",
                };
                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer), ct);
            }

            string Set(string k, string v)
            {
                data[k] = v;
                return "+OK\r\n";
            }
        });

        static string Bulk(string v) => $"${Encoding.UTF8.GetByteCount(v)}\r\n{v}\r\n";
    }

    /// <summary>An HTTP server answering every request with <paramref name="status"/> and a JSON <paramref name="body"/>.</summary>
    public static LoopbackServer Http(int status, string body) => new(async (stream, ct) =>
    {
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        while (!string.IsNullOrEmpty(await reader.ReadLineAsync(ct)))
        {
        }
        byte[] payload = Encoding.UTF8.GetBytes(body);
        string head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Service Unavailable")}\r\nContent-Type: application/json\r\n" +
            $"Content-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        await stream.WriteAsync(payload, ct);
    });

    /// <summary>A server that accepts connections and never says anything.</summary>
    public static LoopbackServer Silent() => new(async (stream, ct) => await Task.Delay(Timeout.Infinite, ct));
}
