using System.Runtime.InteropServices;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Monitoring;

/// <summary>
/// The kernel's tracing file system: libbpf finds tracepoint ids in it, and the
/// monitor reads one event's record layout from it. Mounted on demand.
/// </summary>
internal static partial class TraceFs
{
    private const string Standard = "/sys/kernel/tracing";
    private const string UnderDebugFs = "/sys/kernel/debug/tracing"; // libbpf's fallback on older systems

    /// <summary>The mounted tracefs directory, mounting it at /sys/kernel/tracing when no tracefs is mounted.</summary>
    /// <exception cref="MonitorUnavailableException">tracefs is not mounted and cannot be.</exception>
    public static string EnsureMounted()
    {
        if (MountedAt() is { } mounted) return mounted;
        if (!Directory.Exists(Standard))
        {
            throw new MonitorUnavailableException(MonitorUnavailableReason.Kernel,
                $"the kernel has no tracing file system ({Standard} does not exist): eBPF tracepoints need CONFIG_FTRACE");
        }
        if (Mount("nodev", Standard, "tracefs", 0, IntPtr.Zero) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is LibC.EPERM or LibC.EACCES)
            {
                throw new MonitorUnavailableException(MonitorUnavailableReason.Permission,
                    $"tracefs is not mounted and mounting it needs CAP_SYS_ADMIN (or root): mount -t tracefs nodev {Standard}");
            }
            throw new MonitorUnavailableException(MonitorUnavailableReason.Kernel,
                $"cannot mount tracefs at {Standard}: {LibC.StrError(errno)}");
        }
        if (!File.Exists(Path.Combine(Standard, "available_events")))
        {
            throw new MonitorUnavailableException(MonitorUnavailableReason.Kernel, $"tracefs mounted at {Standard} has no events");
        }
        return Standard;
    }

    /// <summary>
    /// The byte offset of <paramref name="field"/> in the records of <paramref name="category"/>/<paramref name="eventName"/>,
    /// read from the event's <c>format</c> file (layouts change between kernels), or null. Throws <see cref="MonitorUnavailableException"/> when this user cannot read it.
    /// </summary>
    public static int? FieldOffset(string tracefs, string category, string eventName, string field)
    {
        string path = Path.Combine(tracefs, "events", category, eventName, "format");
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException)
        {
            throw new MonitorUnavailableException(MonitorUnavailableReason.Permission,
                $"tracefs ({tracefs}) is readable by root only: eBPF needs CAP_BPF and CAP_PERFMON (or root)");
        }
        // "\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;"
        foreach (var line in lines)
        {
            var parts = line.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length < 2 || !parts[0].StartsWith("field:", StringComparison.Ordinal)) continue;
            string declaration = parts[0];
            int nameStart = declaration.LastIndexOfAny([' ', '\t', '*']) + 1;
            if (declaration[nameStart..] != field) continue;
            if (parts[1].StartsWith("offset:", StringComparison.Ordinal) && int.TryParse(parts[1]["offset:".Length..], out int offset)) return offset;
        }
        return null;
    }

    /// <summary>Where tracefs is mounted, or null when it is not (nothing is mounted here).</summary>
    public static string? MountedAt() => IsMounted(Standard) ? Standard : IsMounted(UnderDebugFs) ? UnderDebugFs : null;

    // From the mount table, not by looking inside: tracefs is readable by root only.
    private static bool IsMounted(string dir)
    {
        try
        {
            // "tracefs /sys/kernel/tracing tracefs rw,nosuid,nodev,noexec,relatime 0 0"
            return File.ReadLines("/proc/self/mounts").Any(line => line.Split(' ') is [_, var at, "tracefs", ..] && at == dir);
        }
        catch (IOException)
        {
            return File.Exists(Path.Combine(dir, "available_events"));
        }
    }

    [LibraryImport(LibC.Name, EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, IntPtr data);
}
