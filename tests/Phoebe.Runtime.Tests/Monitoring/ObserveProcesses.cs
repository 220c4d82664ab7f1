using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>What the tests of <c>phoebe observe</c> as a separate process share: waiting on it, and its targets' pids and states.</summary>
internal static class ObserveProcesses
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Waits until <paramref name="condition"/> holds; fails when Phoebe exits first or after <see cref="Timeout"/>.</summary>
    public static void WaitFor(Func<bool> condition, RunningProcess phoebe, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.False(phoebe.HasExited && !condition(), $"phoebe exited before {what}:\n{phoebe.StderrSoFar}");
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}:\n{phoebe.StderrSoFar}");
            Thread.Sleep(10);
        }
    }

    /// <summary>The pid in the target's first line, <c>ready PID</c> (errloop, sleeper-like targets).</summary>
    public static int ReadyPid(RunningProcess process) =>
        int.Parse(process.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout)["ready ".Length..]);

    /// <summary>A field of /proc/PID/status, or null when there is no such process.</summary>
    public static string? Status(int pid, string field)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal))?[field.Length..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
