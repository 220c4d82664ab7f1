namespace Phoebe.Runtime.Health;

/// <summary>
/// The globals of a HEALTH block: every public member here is a name the C# body
/// can use directly (<c>Target.Alive</c>, <c>await Tcp.ConnectAsync(...)</c>,
/// <c>Log("...")</c>, <c>return Healthy(12.5, "ms");</c>). docs/health.md documents
/// them with examples. One context is made for each run of a check; its
/// <see cref="Cancellation"/> is cancelled when the check's TIMEOUT expires, and
/// the connections and processes its helpers opened are closed when the run ends.
/// </summary>
public sealed class HealthContext
{
    private readonly List<IDisposable> owned = new();
    private readonly List<string> log = new();
    private readonly Action<string>? logSink;
    private bool closed;

    /// <summary>A context for one run of the check named <paramref name="checkName"/>.</summary>
    internal HealthContext(string checkName, IHealthTarget target, IHealthStats stats, TimeSpan timeout,
        CancellationToken cancellation, Action<string>? logSink = null)
    {
        CheckName = checkName;
        Target = target;
        Stats = stats;
        Timeout = timeout;
        Cancellation = cancellation;
        this.logSink = logSink;
        Tcp = new TcpHelper(this);
        Http = new HttpHelper(this);
        Process = new ProcessHelper(this);
    }

    /// <summary>The name of the running check.</summary>
    public string CheckName { get; }

    /// <summary>The program under test: <c>Target.Pid</c>, <c>Target.Alive</c>, <c>Target.Restarts</c>.</summary>
    public IHealthTarget Target { get; }

    /// <summary>Live numbers of the run: <c>Stats.Elapsed</c>, <c>Stats.Injections</c>, <c>Stats.InjectionsOf("rule")</c>.</summary>
    public IHealthStats Stats { get; }

    /// <summary>The check's TIMEOUT: how long this run may take.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Cancelled when the TIMEOUT expires (or the run is stopped); pass it to anything that waits.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>TCP helpers: <c>Connect</c>, <c>CanConnect</c>, <c>RoundTrip</c> and their <c>Async</c> forms.</summary>
    public TcpHelper Tcp { get; }

    /// <summary>HTTP helpers: <c>Get</c>, <c>Post</c> and their <c>Async</c> forms.</summary>
    public HttpHelper Http { get; }

    /// <summary>Runs programs: <c>Process.Run(file, args...)</c>, <c>Process.Shell("cmd")</c> and their <c>Async</c> forms.</summary>
    /// <remarks>It hides <c>System.Diagnostics.Process</c> in a check: write that type's full name to use it.</remarks>
    public ProcessHelper Process { get; }

    /// <summary>Lines written with <see cref="Log"/> during this run.</summary>
    public IReadOnlyList<string> LogLines
    {
        get { lock (log) return log.ToArray(); }
    }

    /// <summary>Writes a line to the run's log (shown with the check's result).</summary>
    public void Log(string message)
    {
        lock (log) log.Add(message);
        logSink?.Invoke(message);
    }

    /// <summary>A healthy result, optionally with a measured value and a message: <c>return Healthy(12.5, "ms");</c></summary>
    public HealthResult Healthy(double? value = null, string? message = null) => HealthResult.Healthy(value, message);

    /// <summary>A healthy result with a message: <c>return Healthy("3 replicas");</c></summary>
    public HealthResult Healthy(string message) => HealthResult.Healthy(null, message);

    /// <summary>An unhealthy result saying why: <c>return Unhealthy("GET returned 503");</c></summary>
    public HealthResult Unhealthy(string message, double? value = null) => HealthResult.Unhealthy(message, value);

    /// <summary>Waits <paramref name="milliseconds"/>, or less if the check is cancelled (then throws).</summary>
    public Task Delay(int milliseconds) => Task.Delay(milliseconds, Cancellation);

    /// <summary>Waits <paramref name="delay"/>, or less if the check is cancelled (then throws).</summary>
    public Task Delay(TimeSpan delay) => Task.Delay(delay, Cancellation);

    /// <summary>Takes ownership of a resource a helper opened, to dispose it when the run ends.</summary>
    internal T Own<T>(T resource) where T : IDisposable
    {
        bool dispose;
        lock (owned)
        {
            dispose = closed;
            if (!closed) owned.Add(resource);
        }
        // The run already ended (timed out): nothing may outlive it.
        if (dispose) resource.Dispose();
        return resource;
    }

    /// <summary>Disposes everything the helpers opened: at the end of the run, or when it is abandoned.</summary>
    internal void Close()
    {
        IDisposable[] resources;
        lock (owned)
        {
            closed = true;
            resources = owned.ToArray();
            owned.Clear();
        }
        foreach (var r in resources)
        {
            try
            {
                r.Dispose();
            }
            catch (Exception)
            {
                // A resource that fails to close must not fail the run that is already over.
            }
        }
    }
}
