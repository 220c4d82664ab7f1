using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Phoebe.Runtime.Interop;

/// <summary>
/// libbpf 1.x (Debian package libbpf1): opening, loading and attaching a BPF
/// object, and the map system calls. libbpf 1.x reports errors as a negative
/// errno from functions returning int, and as NULL with errno set from
/// functions returning pointers.
/// </summary>
internal static unsafe partial class LibBpf
{
    internal const string Name = "libbpf.so.1";

    /// <summary>
    /// Whether libbpf.so.1 can be loaded, and if not, the loader's reason. Ask before any other member:
    /// a missing library surfaces from the first call into it, wherever that is.
    /// </summary>
    public static bool IsAvailable(out string? why)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(Name, typeof(LibBpf).Assembly, null));
            why = null;
            return true;
        }
        catch (DllNotFoundException e)
        {
            // The loader lists every path it tried; the system one is the line that says something.
            why = e.Message.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith('/') && !l.EndsWith("No such file or directory", StringComparison.Ordinal)) ?? "not installed";
            return false;
        }
    }

    [LibraryImport(Name, EntryPoint = "bpf_object__open_file", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr ObjectOpenFileNative(string path, IntPtr opts);

    /// <summary>Opens (parses) a BPF object file; nothing reaches the kernel yet.</summary>
    public static BpfObjectHandle ObjectOpenFile(string path, out int errno)
    {
        var handle = new BpfObjectHandle();
        IntPtr p = ObjectOpenFileNative(path, IntPtr.Zero);
        errno = p == IntPtr.Zero ? Marshal.GetLastPInvokeError() : 0;
        handle.Set(p);
        return handle;
    }

    /// <summary>Creates the maps and loads the programs (the verifier runs here). 0 or a negative errno.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_object__load")]
    public static partial int ObjectLoad(BpfObjectHandle obj);

    [LibraryImport(Name, EntryPoint = "bpf_object__close")]
    internal static partial void ObjectClose(IntPtr obj);

    /// <summary>A program of the object (owned by it), or zero.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_object__find_program_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ObjectFindProgramByName(BpfObjectHandle obj, string name);

    /// <summary>A map of the object (owned by it), or zero.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_object__find_map_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr ObjectFindMapByName(BpfObjectHandle obj, string name);

    /// <summary>The map's file descriptor (owned by the object), or a negative errno.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_map__fd")]
    public static partial int MapFd(IntPtr map);

    [LibraryImport(Name, EntryPoint = "bpf_program__attach", SetLastError = true)]
    private static partial IntPtr ProgramAttachNative(IntPtr program);

    /// <summary>Attaches a program where its SEC() name says (here: a tracepoint).</summary>
    public static BpfLinkHandle ProgramAttach(IntPtr program, out int errno)
    {
        var handle = new BpfLinkHandle();
        IntPtr p = ProgramAttachNative(program);
        errno = p == IntPtr.Zero ? Marshal.GetLastPInvokeError() : 0;
        handle.Set(p);
        return handle;
    }

    [LibraryImport(Name, EntryPoint = "bpf_link__destroy")]
    internal static partial int LinkDestroy(IntPtr link);

    /// <summary>0 or a negative errno.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_map_update_elem")]
    public static partial int MapUpdateElem(int fd, void* key, void* value, ulong flags);

    /// <summary>0 or a negative errno (-ENOENT: no such key).</summary>
    [LibraryImport(Name, EntryPoint = "bpf_map_lookup_elem")]
    public static partial int MapLookupElem(int fd, void* key, void* value);

    /// <summary>0 or a negative errno (-ENOENT: no such key). Per-element atomic on kernels from 5.14 for hash maps.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_map_lookup_and_delete_elem")]
    public static partial int MapLookupAndDeleteElem(int fd, void* key, void* value);

    /// <summary>0 or a negative errno (-ENOENT: no such key).</summary>
    [LibraryImport(Name, EntryPoint = "bpf_map_delete_elem")]
    public static partial int MapDeleteElem(int fd, void* key);

    /// <summary>The key after <paramref name="key"/> (the first one when it is null); -ENOENT after the last.</summary>
    [LibraryImport(Name, EntryPoint = "bpf_map_get_next_key")]
    public static partial int MapGetNextKey(int fd, void* key, void* nextKey);

    /// <summary>How many values a per-CPU map lookup returns, or a negative errno.</summary>
    [LibraryImport(Name, EntryPoint = "libbpf_num_possible_cpus")]
    public static partial int NumPossibleCpus();

    public const ulong BPF_ANY = 0;
    public const ulong BPF_NOEXIST = 1;

    // --- libbpf's messages (verifier log, "failed to ...") ---------------------

    [LibraryImport(Name, EntryPoint = "libbpf_set_print")]
    private static partial IntPtr SetPrint(delegate* unmanaged[Cdecl]<int, IntPtr, IntPtr, int> callback);

    // libbpf hands its callback a printf format and a va_list; vsnprintf formats
    // them. A va_list parameter is passed as a pointer on x86_64 and aarch64.
    [LibraryImport(LibC.Name, EntryPoint = "vsnprintf")]
    private static partial int VsnPrintf(byte* buffer, nuint size, IntPtr format, IntPtr args);

    [ThreadStatic] private static StringBuilder? capture;
    private static int printInstalled;

    /// <summary>
    /// Collects libbpf's warnings printed on this thread until the scope is
    /// disposed (libbpf calls its print callback synchronously), so they can go
    /// into an error message instead of the terminal. Outside a scope they are
    /// dropped: the CLI owns the terminal.
    /// </summary>
    public static MessageScope CaptureMessages()
    {
        if (Interlocked.Exchange(ref printInstalled, 1) == 0) SetPrint(&Print);
        capture = new StringBuilder();
        return new MessageScope();
    }

    /// <summary>See <see cref="CaptureMessages"/>.</summary>
    public readonly struct MessageScope : IDisposable
    {
        /// <summary>What libbpf printed so far in this scope.</summary>
        public string Text => capture?.ToString() ?? "";

        public void Dispose() => capture = null;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Print(int level, IntPtr format, IntPtr args)
    {
        const int LIBBPF_DEBUG = 2;
        var sink = capture;
        if (sink == null || level >= LIBBPF_DEBUG) return 0;
        const int size = 64 * 1024; // a verifier log can be long; the end is what matters, but it rarely exceeds this
        byte* buffer = (byte*)NativeMemory.Alloc(size);
        try
        {
            int n = VsnPrintf(buffer, size, format, args);
            if (n > 0) sink.Append(Encoding.UTF8.GetString(buffer, Math.Min(n, size - 1)));
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
        return 0;
    }
}

/// <summary>A libbpf <c>struct bpf_object *</c>: closing it unloads its programs and closes its maps.</summary>
internal sealed class BpfObjectHandle : SafeHandle
{
    public BpfObjectHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void Set(IntPtr value) => SetHandle(value);

    protected override bool ReleaseHandle()
    {
        LibBpf.ObjectClose(handle);
        return true;
    }
}

/// <summary>A libbpf <c>struct bpf_link *</c>: destroying it detaches the program.</summary>
internal sealed class BpfLinkHandle : SafeHandle
{
    public BpfLinkHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void Set(IntPtr value) => SetHandle(value);

    protected override bool ReleaseHandle() => LibBpf.LinkDestroy(handle) == 0;
}
