using System.Diagnostics;
using System.Text;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>What a finished process left: its exit code (128+N when signal N killed it, as a shell reports) and its exact output.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Standard output split into lines, without the final empty one.</summary>
    public string[] StdoutLines => Stdout.Length == 0 ? [] : (Stdout.EndsWith('\n') ? Stdout[..^1] : Stdout).Split('\n');

    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>How to start a real process.</summary>
/// <param name="FileName">Program to run (looked up in PATH when it has no slash).</param>
/// <param name="Arguments">Arguments, passed as they are (no shell).</param>
/// <param name="WorkingDirectory">Working directory; the test's when null.</param>
/// <param name="Environment">The whole environment when not null; the test process's otherwise.</param>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string? WorkingDirectory = null,
    IReadOnlyDictionary<string, string>? Environment = null)
{
    /// <inheritdoc/>
    public override string ToString() => string.Join(' ', Arguments.Prepend(FileName).Select(Quote));

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:@%+,".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}

/// <summary>
/// A started process whose output is collected as it comes: wait for a line of
/// it, or for its end with a deadline. On a missed deadline the whole process
/// tree is killed and the test fails with what the process printed so far.
/// Standard input is empty (closed at once).
/// </summary>
public sealed class RunningProcess : IDisposable
{
    /// <summary>Deadline of <see cref="WaitForExit"/> when none is given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();
    private readonly Task stdoutPump;
    private readonly Task stderrPump;
    private readonly object gate = new();

    private RunningProcess(ProcessSpec spec)
    {
        Spec = spec;
        var info = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var arg in spec.Arguments) info.ArgumentList.Add(arg);
        if (spec.WorkingDirectory != null) info.WorkingDirectory = spec.WorkingDirectory;
        if (spec.Environment != null)
        {
            info.Environment.Clear();
            foreach (var (name, value) in spec.Environment) info.Environment[name] = value;
        }
        process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {spec}");
        process.StandardInput.Close();
        stdoutPump = Pump(process.StandardOutput, stdout);
        stderrPump = Pump(process.StandardError, stderr);
    }

    /// <summary>What was started.</summary>
    public ProcessSpec Spec { get; }

    /// <summary>The process id.</summary>
    public int Id => process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Standard output so far.</summary>
    public string StdoutSoFar { get { lock (gate) return stdout.ToString(); } }

    /// <summary>Standard error so far.</summary>
    public string StderrSoFar { get { lock (gate) return stderr.ToString(); } }

    /// <summary>Starts a process.</summary>
    public static RunningProcess Start(ProcessSpec spec) => new(spec);

    /// <summary>Starts a process and waits for its end.</summary>
    public static ProcessResult Run(ProcessSpec spec, TimeSpan? timeout = null)
    {
        using var running = Start(spec);
        return running.WaitForExit(timeout);
    }

    /// <summary>Waits until standard output has a complete line that <paramref name="match"/> accepts, and returns it.</summary>
    public string WaitForStdoutLine(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        lock (gate)
        {
            while (true)
            {
                string text = stdout.ToString();
                int end = text.LastIndexOf('\n');
                if (end >= 0)
                {
                    foreach (var line in text[..end].Split('\n'))
                    {
                        if (match(line)) return line;
                    }
                }
                var left = timeout - deadline.Elapsed;
                if (left <= TimeSpan.Zero || (process.HasExited && stdoutPump.IsCompleted))
                {
                    break;
                }
                Monitor.Wait(gate, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
        }
        string why = process.HasExited ? "it ended without printing it" : $"none came within {timeout.TotalSeconds:0.#} s";
        Kill();
        throw new TimeoutException($"`{Spec}` did not print the expected line: {why}\n--- stdout so far\n{StdoutSoFar}--- stderr so far\n{StderrSoFar}");
    }

    /// <summary>
    /// Waits for the process to end and for its output pipes to close; on a
    /// missed deadline kills the whole process tree and throws with the output so far.
    /// </summary>
    public ProcessResult WaitForExit(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            Kill();
            throw new TimeoutException($"`{Spec}` did not end within {limit.TotalSeconds:0.#} s; killed its process tree\n" +
                $"--- stdout so far\n{StdoutSoFar}--- stderr so far\n{StderrSoFar}");
        }
        // A descendant that outlives the process keeps the pipes open: that is a bug to report, not to wait for.
        if (!Task.WaitAll([stdoutPump, stderrPump], TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"`{Spec}` ended (exit {process.ExitCode}) but something it started still holds its output open\n" +
                $"--- stdout so far\n{StdoutSoFar}--- stderr so far\n{StderrSoFar}");
        }
        return new ProcessResult(process.ExitCode, StdoutSoFar, StderrSoFar);
    }

    /// <summary>Kills the process and everything it started, if still running.</summary>
    public void Kill()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private Task Pump(StreamReader reader, StringBuilder into) => Task.Run(async () =>
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (gate)
            {
                into.Append(buffer, 0, n);
                Monitor.PulseAll(gate);
            }
        }
        lock (gate) Monitor.PulseAll(gate);
    });
}
