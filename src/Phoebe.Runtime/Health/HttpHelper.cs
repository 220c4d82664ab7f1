using System.Net.Http;
using System.Text;

namespace Phoebe.Runtime.Health;

/// <summary>
/// <c>Http</c> in a HEALTH block: plain HTTP requests whose answer (status and
/// body) comes back as an <see cref="HttpResult"/>, whatever the status. Every
/// run of a check opens its own connections (a check sees a refused or slow
/// accept as a user would), and every request stops when the TIMEOUT expires.
/// </summary>
public sealed class HttpHelper
{
    /// <summary>The largest response body read, so that a runaway answer cannot fill memory.</summary>
    public const int MaxBodyBytes = 16 << 20;

    private readonly HealthContext context;
    private HttpClient? client;

    internal HttpHelper(HealthContext context) => this.context = context;

    /// <summary>GETs <paramref name="url"/>; throws only when there is no answer (refused, reset, timeout).</summary>
    public HttpResult Get(string url) => GetAsync(url).GetAwaiter().GetResult();

    /// <summary>GETs <paramref name="url"/>; throws only when there is no answer (refused, reset, timeout).</summary>
    public Task<HttpResult> GetAsync(string url) => SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    /// <summary>POSTs <paramref name="body"/> to <paramref name="url"/>; throws only when there is no answer.</summary>
    public HttpResult Post(string url, string body, string contentType = "application/json") =>
        PostAsync(url, body, contentType).GetAwaiter().GetResult();

    /// <summary>POSTs <paramref name="body"/> to <paramref name="url"/>; throws only when there is no answer.</summary>
    public Task<HttpResult> PostAsync(string url, string body, string contentType = "application/json") =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, contentType) });

    /// <summary>Sends any request; throws only when there is no answer.</summary>
    public async Task<HttpResult> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseContentRead, context.Cancellation).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(context.Cancellation).ConfigureAwait(false);
            var headers = response.Headers.Concat(response.Content.Headers)
                .GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => string.Join(", ", g.SelectMany(h => h.Value)), StringComparer.OrdinalIgnoreCase);
            return new HttpResult((int)response.StatusCode, body, headers);
        }
    }

    private HttpClient Client => client ??= context.Own(new HttpClient(new SocketsHttpHandler
    {
        // Connections live as long as the run: the next run connects afresh.
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        UseCookies = false,
    })
    {
        // The check's TIMEOUT bounds requests through the cancellation token.
        Timeout = Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = MaxBodyBytes,
    });
}

/// <summary>The answer to an HTTP request of a health check.</summary>
/// <param name="Status">The status code, e.g. 200.</param>
/// <param name="Body">The body as text.</param>
/// <param name="Headers">Response and content headers, names case-insensitive, repeated values joined by <c>", "</c>.</param>
public sealed record HttpResult(int Status, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>True for a 2xx status.</summary>
    public bool IsSuccess => Status is >= 200 and < 300;
}
