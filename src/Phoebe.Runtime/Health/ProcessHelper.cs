using System.ComponentModel;
using System.Diagnostics;

namespace Phoebe.Runtime.Health;

/// <summary>
/// <c>Process</c> in a HEALTH block: runs a program (e.g. the service's own CLI,
/// <c>redis-cli ping</c>, <c>pg_isready</c>) and returns its exit code and output.
/// Standard input is empty. When the TIMEOUT expires, the program and its
/// children are killed.
/// </summary>
public sealed class ProcessHelper
{
    /// <summary>The most output kept of each stream; the rest is read and dropped.</summary>
    public const int MaxOutputChars = 1 << 20;

    private readonly HealthContext context;

    internal ProcessHelper(HealthContext context) => this.context = context;

    /// <summary>Runs <paramref name="file"/> (looked up in PATH) with <paramref name="args"/> to its end.</summary>
    public ProcessRunResult Run(string file, params string[] args) => RunAsync(file, args).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="file"/> (looked up in PATH) with <paramref name="args"/> to its end.</summary>
    public Task<ProcessRunResult> RunAsync(string file, params string[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(file);
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        return RunAsync(start);
    }

    /// <summary>Runs <paramref name="command"/> with <c>/bin/sh -c</c> to its end.</summary>
    public ProcessRunResult Shell(string command) => ShellAsync(command).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="command"/> with <c>/bin/sh -c</c> to its end.</summary>
    public Task<ProcessRunResult> ShellAsync(string command) => RunAsync("/bin/sh", "-c", command);

    private async Task<ProcessRunResult> RunAsync(ProcessStartInfo start)
    {
        context.Cancellation.ThrowIfCancellationRequested();
        var process = new System.Diagnostics.Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"cannot run {start.FileName}: {e.Message}", e);
        }
        using var killer = context.Own(new ProcessKiller(process));
        process.StandardInput.Close();
        var output = ReadCappedAsync(process.StandardOutput);
        var error = ReadCappedAsync(process.StandardError);
        await process.WaitForExitAsync(context.Cancellation).ConfigureAwait(false);
        return new ProcessRunResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    private async Task<string> ReadCappedAsync(StreamReader reader)
    {
        var text = new System.Text.StringBuilder();
        var chunk = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(chunk, context.Cancellation).ConfigureAwait(false)) > 0)
        {
            text.Append(chunk, 0, Math.Min(n, MaxOutputChars - text.Length));
        }
        return text.ToString();
    }

    // Kills the process tree if it still runs when the run ends (timeout, exception), then releases it.
    private sealed class ProcessKiller(System.Diagnostics.Process process) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
            {
                // It exited meanwhile.
            }
            process.Dispose();
        }
    }
}

/// <summary>How a program run by a health check ended.</summary>
/// <param name="ExitCode">Its exit code (128 + N when signal N killed it).</param>
/// <param name="Output">Its standard output (the first <see cref="ProcessHelper.MaxOutputChars"/> characters).</param>
/// <param name="Error">Its standard error (likewise).</param>
public sealed record ProcessRunResult(int ExitCode, string Output, string Error)
{
    /// <summary>True when it exited with code 0.</summary>
    public bool Ok => ExitCode == 0;
}
