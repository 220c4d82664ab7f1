using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Monitoring;

/// <summary>
/// The processes <c>phoebe observe</c> watches: a command it starts, a pid, or every process with a given
/// name. Nothing here stops or changes them.
/// </summary>
public static class ObservationTargets
{
    /// <summary>
    /// Starts <paramref name="command"/> (searched in PATH) with Phoebe's environment, by posix_spawnp: no
    /// managed code runs in the child, and the call returns once the child has exec'd the program.
    /// </summary>
    /// <returns>0 and the pid, or the error number (ENOENT: no such program).</returns>
    public static int Spawn(IReadOnlyList<string> command, out int pid)
    {
        if (command.Count == 0) throw new ArgumentException("the command is empty", nameof(command));
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToList();
        return LibC.Spawn(command[0], command, env, out pid);
    }

    /// <summary>The message of an error number, e.g. <c>No such file or directory</c>.</summary>
    public static string Describe(int errno) => LibC.StrError(errno);

    /// <summary>
    /// Reaps the child <paramref name="pid"/> if it has ended, without waiting: its exit code, or 128 + the
    /// signal that killed it, as a shell reports it; null while it runs.
    /// </summary>
    public static int? TryReap(int pid)
    {
        int r = LibC.WaitPid(pid, out int status, LibC.WNOHANG);
        if (r != pid) return r < 0 && LibC.LastErrno == LibC.ECHILD ? 0 : null;
        return LibC.WIfExited(status) ? LibC.WExitStatus(status) : 128 + (status & 0x7f);
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone.</summary>
    public static bool Signal(int pid, int signal) => LibC.Kill(pid, signal) == 0;

    /// <summary>Whether process <paramref name="pid"/> still runs (a zombie counts as gone).</summary>
    public static bool IsAlive(int pid) => State(pid) is not (null or 'Z' or 'X');

    /// <summary>The state letter of process <paramref name="pid"/> (<c>/proc/PID/stat</c>: R, S, D, Z...), or null when it is gone.</summary>
    public static char? State(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The name of process <paramref name="pid"/> (<c>/proc/PID/comm</c>), or null when it is gone.</summary>
    public static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Every running process (thread group) whose <c>/proc/PID/comm</c> is <paramref name="name"/>, except
    /// Phoebe itself; the kernel keeps 15 bytes of a name, so a longer <paramref name="name"/> is compared by
    /// its first 15 bytes.
    /// </summary>
    public static IReadOnlyList<int> FindByComm(string name)
    {
        string wanted = name.Length > 15 ? name[..15] : name;
        var found = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId) continue;
            if (Comm(pid) == wanted && IsAlive(pid)) found.Add(pid);
        }
        found.Sort();
        return found;
    }
}
