namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// One differential case: a program run in a <see cref="Workspace"/> whose
/// <paramref name="Call"/>-th <paramref name="Syscall"/> fails with
/// <paramref name="Errno"/> at entry, once under strace's <c>-e inject</c> and once
/// under the equivalent Phoebe rule.
/// </summary>
public sealed record DifferentialCase(string Program, IReadOnlyList<string> Command, string Syscall, int Call, string Errno)
{
    /// <summary>Stable name, e.g. "cat-openat-3-EIO".</summary>
    public string Id => $"{Program}-{Syscall}-{Call}-{Errno}";

    /// <summary>The Phoebe rule.</summary>
    public string Rule => $"RULE r ON {Syscall} ENTRY IF call == {Call} DO return {Errno}";

    /// <summary>strace's arguments: trace only the syscall (its output goes to /dev/null) and inject into its N-th call.</summary>
    public IReadOnlyList<string> StraceArgs =>
        ["-f", "-qq", "-o", "/dev/null", "-e", $"trace={Syscall}", "-e", $"inject={Syscall}:error={Errno}:when={Call}", .. Command];

    /// <summary>Phoebe's arguments: <c>run -q -e RULE -- COMMAND</c>.</summary>
    public IReadOnlyList<string> PhoebeArgs => [.. PhoebeCli.RunArgs([Rule], Command)];

    /// <inheritdoc/>
    public override string ToString() => Id;
}

/// <summary>
/// The differential cases, generated deterministically from a table of programs
/// and of the calls worth failing in each (the N-th call of a syscall, chosen from
/// the programs' own traces: the dynamic loader's calls come first, then the
/// program's), with the errnos taken in turn.
/// </summary>
/// <remarks>
/// Every program here is one process with one thread: strace counts <c>when=N</c>
/// per thread (each new thread or process starts from zero), Phoebe counts
/// <c>call</c> over the whole traced tree, so the two agree only on single-threaded
/// programs (see <see cref="StraceReferenceTests"/>).
/// </remarks>
public static class DifferentialCases
{
    /// <summary>The errnos of the cases, taken in turn.</summary>
    public static readonly string[] Errnos = ["ENOENT", "EACCES", "EIO", "ENOMEM", "EINTR", "EAGAIN", "ENOSPC"];

    /// <summary>The programs, run in a fresh <see cref="Workspace"/>, by name through PATH=/usr/bin:/bin.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Programs = new Dictionary<string, string[]>
    {
        ["cat"] = ["cat", "in.txt"],
        ["ls"] = ["ls", "d"],
        ["head"] = ["head", "-c", "10", "in.txt"],
        ["cp"] = ["cp", "in.txt", "out.txt"],
        ["wc"] = ["wc", "-l", "in.txt"],
        ["mkdir"] = ["mkdir", "newdir"],
        ["touch"] = ["touch", "new.txt"],
        ["date"] = ["date", "-d", "@0"],
        ["true"] = ["true"],
        ["python3"] = ["python3", "-c", "print(open('/etc/hostname').read())"],
    };

    // program, syscall, the calls to fail. What the numbers hit (Debian 12, glibc 2.36):
    // cat: openat 1 ld.so.cache, 2 libc.so.6, 3 in.txt; read 1 libc's ELF header, 2-3 in.txt;
    //      newfstatat 3 stdout, 4 in.txt; close 3 in.txt, 4-5 stdout/stderr at exit;
    //      fstat: glibc calls newfstatat instead, so nothing is injected (both sides must agree on that too).
    // ls: openat 2 libselinux, 5 /proc/filesystems, 6 the directory; getdents64 1-2 the directory.
    // cp: openat 5 libc, 8 out.txt as a directory (fails naturally), 9 in.txt, 10 out.txt; newfstatat 8 in.txt, 9 its fd.
    // date: openat 3 /usr/share/zoneinfo/UTC; clock_gettime is answered by the vDSO, never a syscall.
    // python3: openat 2 libm, 6 pyvenv.cfg (fails naturally), 11 zoneinfo, 12 the stdlib directory.
    private static readonly (string Program, string Syscall, int[] Calls)[] Table =
    [
        ("cat", "openat", [1, 2, 3]),
        ("cat", "read", [1, 2, 3]),
        ("cat", "write", [1]),
        ("cat", "close", [3, 4, 5]),
        ("cat", "newfstatat", [3, 4]),
        ("cat", "mmap", [1, 6]),
        ("cat", "fstat", [1]),
        ("ls", "openat", [2, 5, 6]),
        ("ls", "getdents64", [1, 2]),
        ("ls", "statx", [1]),
        ("ls", "newfstatat", [6]),
        ("ls", "write", [1]),
        ("ls", "close", [7]),
        ("head", "openat", [3]),
        ("head", "read", [2]),
        ("head", "write", [1]),
        ("head", "close", [3]),
        ("cp", "openat", [5, 9, 10]),
        ("cp", "newfstatat", [8, 9]),
        ("cp", "copy_file_range", [1]),
        ("cp", "close", [8]),
        ("wc", "openat", [3]),
        ("wc", "read", [2, 3]),
        ("wc", "newfstatat", [3]),
        ("mkdir", "mkdir", [1]),
        ("mkdir", "openat", [5]),
        ("mkdir", "read", [4]),
        ("touch", "openat", [3]),
        ("touch", "utimensat", [1]),
        ("touch", "close", [3]),
        ("date", "openat", [3]),
        ("date", "read", [2]),
        ("date", "newfstatat", [4]),
        ("date", "write", [1]),
        ("date", "clock_gettime", [1]),
        ("true", "openat", [1, 2]),
        ("true", "mmap", [3]),
        ("true", "close", [2]),
        ("true", "read", [1]),
        ("python3", "openat", [2, 6, 11, 12]),
        ("python3", "read", [5]),
        ("python3", "getdents64", [1]),
        ("python3", "newfstatat", [6]),
        ("python3", "close", [6]),
        ("python3", "write", [1]),
        ("python3", "mmap", [4]),
    ];

    /// <summary>All cases, in table order.</summary>
    public static IReadOnlyList<DifferentialCase> All { get; } = Generate();

    /// <summary>The case named <paramref name="id"/>.</summary>
    public static DifferentialCase Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new ArgumentException($"no differential case `{id}`", nameof(id));

    /// <summary>Theory data: the case ids (strings, so that each case is a test of its own).</summary>
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var c in All) data.Add(c.Id);
        return data;
    }

    private static List<DifferentialCase> Generate()
    {
        var cases = new List<DifferentialCase>();
        foreach (var (program, syscall, calls) in Table)
        {
            foreach (int call in calls)
            {
                cases.Add(new DifferentialCase(program, Programs[program], syscall, call, Errnos[cases.Count % Errnos.Length]));
            }
        }
        return cases;
    }
}
