namespace Phoebe.Runtime.Interop;

/// <summary>Small reads from /proc.</summary>
internal static class ProcFs
{
    /// <summary>An integer field of <c>/proc/PID/status</c> (e.g. <c>Tgid:</c>, <c>TracerPid:</c>), or 0 when unreadable.</summary>
    public static int StatusField(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && int.TryParse(line.AsSpan(field.Length).Trim(), out int v)) return v;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>The process (thread group) a thread belongs to; the thread itself when unknown.</summary>
    public static int Tgid(int tid) => StatusField(tid, "Tgid:") is > 0 and var tgid ? tgid : tid;
}
