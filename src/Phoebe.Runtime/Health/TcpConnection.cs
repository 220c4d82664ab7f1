using System.Net.Sockets;
using System.Text;

namespace Phoebe.Runtime.Health;

/// <summary>
/// An open TCP connection of a health check. Text is UTF-8; lines end at <c>\n</c>
/// and are returned without <c>\r\n</c>. Every call stops when the check's TIMEOUT
/// expires. Use it with <c>using</c> (or let the run's end close it).
/// </summary>
public sealed class TcpConnection : IDisposable, IAsyncDisposable
{
    /// <summary>The longest line <see cref="ReadLineAsync"/> accepts: a peer that never sends <c>\n</c> cannot fill memory.</summary>
    public const int MaxLineBytes = 1 << 20;

    private readonly NetworkStream stream;
    private readonly CancellationToken cancellation;
    private byte[] buffer = new byte[4096];
    private int start;
    private int end;

    internal TcpConnection(Socket socket, CancellationToken cancellation)
    {
        this.cancellation = cancellation;
        stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>The connection as a stream, for binary protocols (bytes already buffered by line reads are not in it).</summary>
    public Stream Stream => stream;

    /// <summary>Sends <paramref name="text"/> as UTF-8, as it is.</summary>
    public void Write(string text) => WriteAsync(text).GetAwaiter().GetResult();

    /// <summary>Sends <paramref name="text"/> as UTF-8, as it is.</summary>
    public Task WriteAsync(string text) => WriteAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends <paramref name="line"/> and <c>\r\n</c>.</summary>
    public void WriteLine(string line) => WriteAsync(line + "\r\n").GetAwaiter().GetResult();

    /// <summary>Sends <paramref name="line"/> and <c>\r\n</c>.</summary>
    public Task WriteLineAsync(string line) => WriteAsync(line + "\r\n");

    /// <summary>Sends bytes.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> bytes) =>
        await stream.WriteAsync(bytes, cancellation).ConfigureAwait(false);

    /// <summary>Reads a line, without its <c>\r\n</c>; null when the peer closed the connection.</summary>
    public string? ReadLine() => ReadLineAsync().GetAwaiter().GetResult();

    /// <summary>Reads a line, without its <c>\r\n</c>; null when the peer closed the connection.</summary>
    public async Task<string?> ReadLineAsync()
    {
        // Bytes after start already searched for '\n' (start moves when the buffer is compacted).
        int scanned = 0;
        while (true)
        {
            int newline = Array.IndexOf(buffer, (byte)'\n', start + scanned, end - start - scanned);
            if (newline >= 0)
            {
                int lineEnd = newline > start && buffer[newline - 1] == '\r' ? newline - 1 : newline;
                string line = Encoding.UTF8.GetString(buffer, start, lineEnd - start);
                start = newline + 1;
                return line;
            }
            scanned = end - start;
            if (end - start >= MaxLineBytes) throw new InvalidDataException($"a line longer than {MaxLineBytes} bytes: the peer does not speak a line protocol");
            if (await FillAsync().ConfigureAwait(false) == 0)
            {
                // End of stream: the rest is the last line, or there is none.
                if (start == end) return null;
                string rest = Encoding.UTF8.GetString(buffer, start, end - start);
                start = end;
                return rest;
            }
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; throws when the peer closes first.</summary>
    public async Task<byte[]> ReadBytesAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new byte[count];
        int have = Math.Min(count, end - start);
        Array.Copy(buffer, start, result, 0, have);
        start += have;
        if (have < count) await stream.ReadExactlyAsync(result.AsMemory(have), cancellation).ConfigureAwait(false);
        return result;
    }

    /// <summary>Reads until the peer closes the connection and returns it as UTF-8 text.</summary>
    public string ReadToEnd() => ReadToEndAsync().GetAwaiter().GetResult();

    /// <summary>Reads until the peer closes the connection and returns it as UTF-8 text.</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var all = new MemoryStream();
        all.Write(buffer, start, end - start);
        start = end = 0;
        await stream.CopyToAsync(all, cancellation).ConfigureAwait(false);
        return Encoding.UTF8.GetString(all.GetBuffer(), 0, (int)all.Length);
    }

    /// <summary>
    /// Sends <paramref name="request"/> as it is, reads <paramref name="lines"/> lines and returns
    /// them joined by <c>\n</c>. Throws when the peer closes before sending them all.
    /// </summary>
    public string RoundTrip(string request, int lines = 1) => RoundTripAsync(request, lines).GetAwaiter().GetResult();

    /// <inheritdoc cref="RoundTrip"/>
    public async Task<string> RoundTripAsync(string request, int lines = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lines);
        await WriteAsync(request).ConfigureAwait(false);
        var answer = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            string line = await ReadLineAsync().ConfigureAwait(false)
                ?? throw new IOException($"the connection closed after {i} of {lines} line{(lines == 1 ? "" : "s")}");
            if (i > 0) answer.Append('\n');
            answer.Append(line);
        }
        return answer.ToString();
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => stream.Dispose();

    /// <summary>Closes the connection.</summary>
    public ValueTask DisposeAsync() => stream.DisposeAsync();

    private async Task<int> FillAsync()
    {
        if (start > 0 && start == end) start = end = 0;
        if (end == buffer.Length)
        {
            if (start > 0)
            {
                Array.Copy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            else
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }
        int n = await stream.ReadAsync(buffer.AsMemory(end), cancellation).ConfigureAwait(false);
        end += n;
        return n;
    }
}
