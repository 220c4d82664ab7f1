using System.Runtime.InteropServices;

namespace Phoebe.Runtime.Interop;

/// <summary>Reading a tracee's memory.</summary>
internal static partial class LibC
{
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public IntPtr Base;
        public nuint Length;
    }

    [LibraryImport(Name, EntryPoint = "process_vm_readv", SetLastError = true)]
    private static unsafe partial nint ProcessVmReadv(int pid, IoVec* local, nuint localCount, IoVec* remote, nuint remoteCount, nuint flags);

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="address"/> of <paramref name="pid"/>; returns bytes read or -1.</summary>
    public static unsafe int ReadMemory(int pid, ulong address, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var local = new IoVec { Base = (IntPtr)p, Length = (nuint)buffer.Length };
            var remote = new IoVec { Base = (IntPtr)(long)address, Length = (nuint)buffer.Length };
            return (int)ProcessVmReadv(pid, &local, 1, &remote, 1, 0);
        }
    }

    /// <summary>
    /// Reads a NUL-terminated string (at most <paramref name="max"/> bytes) from a tracee,
    /// page by page so that a string ending just before an unmapped page is still read.
    /// </summary>
    public static string? ReadCString(int pid, ulong address, int max = 4096)
    {
        if (address == 0) return null;
        var buffer = new byte[max];
        int total = 0;
        while (total < max)
        {
            ulong at = address + (ulong)total;
            int toPageEnd = 4096 - (int)(at & 4095);
            int chunk = Math.Min(toPageEnd, max - total);
            int n = ReadMemory(pid, at, buffer.AsSpan(total, chunk));
            if (n <= 0) return total == 0 ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, total);
            int nul = buffer.AsSpan(total, n).IndexOf((byte)0);
            if (nul >= 0) return System.Text.Encoding.UTF8.GetString(buffer, 0, total + nul);
            total += n;
        }
        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }
}
