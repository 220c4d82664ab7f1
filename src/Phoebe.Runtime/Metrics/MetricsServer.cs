using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Phoebe.Runtime.Metrics;

/// <summary>
/// A minimal HTTP/1.1 server for Prometheus scrapes: <c>GET /metrics</c> (query strings ignored) answers 200 with
/// the text of a render function, other paths 404, other methods 405. One request per connection
/// (<c>Connection: close</c>); connections are served concurrently. Binds only the address it is given.
/// </summary>
public sealed class MetricsServer : IDisposable
{
    private const int MaxRequestBytes = 16 * 1024;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener listener;
    private readonly Func<string> render;
    private readonly string contentType;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task acceptLoop;
    private readonly object scrapeGate = new();
    private readonly List<(long After, TaskCompletionSource Done)> scrapeWaiters = [];
    private long renders;

    private MetricsServer(TcpListener listener, Func<string> render, string contentType)
    {
        this.listener = listener;
        this.render = render;
        this.contentType = contentType;
        acceptLoop = Task.Run(AcceptAsync);
    }

    /// <summary>The address and port it listens on (the actual port when 0 was asked for).</summary>
    public IPEndPoint Endpoint => (IPEndPoint)listener.LocalEndpoint;

    /// <summary>
    /// Listens on <paramref name="endpoint"/> and serves <paramref name="render"/>'s text at <c>/metrics</c>.
    /// Throws <see cref="SocketException"/> when it cannot listen there (e.g. the port is taken).
    /// </summary>
    public static MetricsServer Start(IPEndPoint endpoint, Func<string> render, string contentType = ObservationMetrics.ContentType)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(render);
        var listener = new TcpListener(endpoint);
        listener.Start();
        return new MetricsServer(listener, render, contentType);
    }

    /// <summary>
    /// Completes once a <c>GET /metrics</c> response rendered after this call has been sent in full, to any scraper:
    /// after the last change to the metrics, that scraper has the final values. Never completes once disposed.
    /// </summary>
    public Task NextScrapeAsync()
    {
        lock (scrapeGate)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            scrapeWaiters.Add((renders, done));
            return done.Task;
        }
    }

    /// <summary>
    /// Parses <c>HOST:PORT</c>: HOST an IPv4 address, <c>[IPv6]</c> or <c>localhost</c> (127.0.0.1), PORT 1-65535.
    /// Returns null and sets <paramref name="error"/> when it is malformed.
    /// </summary>
    public static IPEndPoint? ParseEndpoint(string text, out string error)
    {
        error = "";
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"--metrics needs HOST:PORT such as 127.0.0.1:9464, not `{text}`";
            return null;
        }
        string host = text[..colon], portText = text[(colon + 1)..];
        if (!portText.All(char.IsAsciiDigit) || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            error = $"--metrics needs a port from 1 to 65535, not `{portText}` in `{text}`";
            return null;
        }
        IPAddress? address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (host.StartsWith('[') && host.EndsWith(']'))
        {
            if (!IPAddress.TryParse(host[1..^1], out address) || address.AddressFamily != AddressFamily.InterNetworkV6) address = null;
        }
        else if (!IPAddress.TryParse(host, out address) || address.AddressFamily != AddressFamily.InterNetwork || host.Count(ch => ch == '.') != 3)
        {
            address = null;
        }
        if (address is null)
        {
            error = $"--metrics needs an IPv4 address, [IPv6 address] or localhost before the port, not `{host}` in `{text}`";
            return null;
        }
        return new IPEndPoint(address, port);
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stopping.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
        {
            timeout.CancelAfter(RequestTimeout);
            try
            {
                var stream = client.GetStream();
                string? head = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
                if (head is null) return;
                string requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
                string[] parts = requestLine.Split(' ');
                int status;
                string body;
                string type = "text/plain; charset=utf-8";
                long rendered = 0;
                if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
                {
                    (status, body) = (400, "bad request\n");
                }
                else
                {
                    string path = parts[1];
                    int query = path.IndexOf('?', StringComparison.Ordinal);
                    if (query >= 0) path = path[..query];
                    if (path != "/metrics") (status, body) = (404, "not found: try /metrics\n");
                    else if (parts[0] is not ("GET" or "HEAD")) (status, body) = (405, "only GET\n");
                    else
                    {
                        lock (scrapeGate) rendered = ++renders;
                        (status, body, type) = (200, render(), contentType);
                    }
                }
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string reason = status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", _ => "Method Not Allowed" };
                var response = new StringBuilder()
                    .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\n")
                    .Append(CultureInfo.InvariantCulture, $"Content-Type: {type}\r\n")
                    .Append(CultureInfo.InvariantCulture, $"Content-Length: {payload.Length}\r\n")
                    .Append(status == 405 ? "Allow: GET, HEAD\r\n" : "")
                    .Append("Connection: close\r\n\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response.ToString()), timeout.Token).ConfigureAwait(false);
                if (parts[0] != "HEAD") await stream.WriteAsync(payload, timeout.Token).ConfigureAwait(false);
                await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
                client.Client.Shutdown(SocketShutdown.Send);
                if (rendered > 0 && parts[0] == "GET") Scraped(rendered);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The scraper went away or took too long: nothing to answer.
            }
        }
    }

    /// <summary>Completes the waiters that were waiting before render number <paramref name="rendered"/> began.</summary>
    private void Scraped(long rendered)
    {
        lock (scrapeGate)
        {
            foreach (var waiter in scrapeWaiters.Where(w => w.After < rendered)) waiter.Done.TrySetResult();
            scrapeWaiters.RemoveAll(w => w.After < rendered);
        }
    }

    /// <summary>The request line and headers up to the blank line, or null when the client sent less or too much.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancel)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(length), cancel).ConfigureAwait(false);
            if (n == 0) return null;
            length += n;
            string text = Encoding.ASCII.GetString(buffer, 0, length);
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0) return text[..(end + 2)];
        }
        return null;
    }

    /// <summary>Stops listening and ends the connections being served.</summary>
    public void Dispose()
    {
        if (stopping.IsCancellationRequested) return;
        stopping.Cancel();
        listener.Stop();
        try { acceptLoop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
