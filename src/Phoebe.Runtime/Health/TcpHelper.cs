using System.Net.Sockets;

namespace Phoebe.Runtime.Health;

/// <summary>
/// <c>Tcp</c> in a HEALTH block: connects to a port and talks line protocols
/// (redis RESP, memcached, SMTP...). Every call stops when the check's TIMEOUT
/// expires, and connections still open when the run ends are closed.
/// </summary>
public sealed class TcpHelper
{
    private readonly HealthContext context;

    internal TcpHelper(HealthContext context) => this.context = context;

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>; throws when the connection fails.</summary>
    public TcpConnection Connect(string host, int port) => ConnectAsync(host, port).GetAwaiter().GetResult();

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>; throws when the connection fails.</summary>
    public async Task<TcpConnection> ConnectAsync(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        var socket = context.Own(new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        try
        {
            await socket.ConnectAsync(host, port, context.Cancellation).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return context.Own(new TcpConnection(socket, context.Cancellation));
    }

    /// <summary>True when a connection to <paramref name="host"/>:<paramref name="port"/> succeeds (it is closed at once).</summary>
    public bool CanConnect(string host, int port) => CanConnectAsync(host, port).GetAwaiter().GetResult();

    /// <summary>True when a connection to <paramref name="host"/>:<paramref name="port"/> succeeds (it is closed at once).</summary>
    public async Task<bool> CanConnectAsync(string host, int port)
    {
        try
        {
            using var connection = await ConnectAsync(host, port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Connects, sends <paramref name="request"/> as it is (end lines with <c>\r\n</c> where the
    /// protocol wants it), reads <paramref name="lines"/> lines of the answer, closes, and returns
    /// the lines joined by <c>\n</c> without their line ends. Throws when the peer closes first.
    /// </summary>
    public string RoundTrip(string host, int port, string request, int lines = 1) =>
        RoundTripAsync(host, port, request, lines).GetAwaiter().GetResult();

    /// <inheritdoc cref="RoundTrip"/>
    public async Task<string> RoundTripAsync(string host, int port, string request, int lines = 1)
    {
        using var connection = await ConnectAsync(host, port).ConfigureAwait(false);
        return await connection.RoundTripAsync(request, lines).ConfigureAwait(false);
    }
}
