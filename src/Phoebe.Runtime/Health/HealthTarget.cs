namespace Phoebe.Runtime.Health;

/// <summary>
/// The program under test, as a health check sees it (<c>Target</c> in a HEALTH
/// block). The orchestrator that starts and restarts the target implements it.
/// </summary>
public interface IHealthTarget
{
    /// <summary>The target's process id; 0 when there is no target.</summary>
    int Pid { get; }

    /// <summary>True while the target process runs (it exists and is not a zombie).</summary>
    bool Alive { get; }

    /// <summary>How many times the target was restarted during this run.</summary>
    int Restarts { get; }
}

/// <summary>A target known by its process id; <see cref="Alive"/> reads <c>/proc/PID/stat</c> each time.</summary>
public sealed class ProcessHealthTarget : IHealthTarget
{
    private int pid;
    private int restarts;

    /// <summary>A target with process id <paramref name="pid"/> (0: none).</summary>
    public ProcessHealthTarget(int pid) => this.pid = pid;

    /// <summary>No target: pid 0, never alive.</summary>
    public static IHealthTarget None { get; } = new ProcessHealthTarget(0);

    /// <inheritdoc/>
    public int Pid => Volatile.Read(ref pid);

    /// <inheritdoc/>
    public bool Alive => IsAlive(Pid);

    /// <inheritdoc/>
    public int Restarts => Volatile.Read(ref restarts);

    /// <summary>Records that the target was restarted as process <paramref name="newPid"/>.</summary>
    public void Restarted(int newPid)
    {
        Volatile.Write(ref pid, newPid);
        Interlocked.Increment(ref restarts);
    }

    /// <summary>True when process <paramref name="pid"/> exists and is not a zombie (or dead, state X).</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        try
        {
            // "PID (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            if (close < 0 || close + 2 >= stat.Length) return false;
            char state = stat[close + 2];
            return state is not ('Z' or 'X' or 'x');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
