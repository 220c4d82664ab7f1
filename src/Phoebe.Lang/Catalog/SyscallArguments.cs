using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Phoebe.Lang.Catalog;

/// <summary>
/// One parameter of a syscall as its manual page declares it: <c>const char *pathname</c> is
/// <c>(Index, "const char *", "pathname")</c>. A variadic <c>...</c> has the type <c>...</c> and an empty name,
/// or the name the page gives what it stands for (fcntl's <c>... arg</c>).
/// </summary>
/// <param name="Index">The 0-based position among the call's parameters (<c>arg0</c> is 0).</param>
/// <param name="Type">The C type, normalised: arrays written as the pointers they decay to.</param>
/// <param name="Name">The parameter's name in the manual page.</param>
public sealed record SyscallParameter(int Index, string Type, string Name);

/// <summary>
/// The parameters of each syscall, from the prototypes in the SYNOPSIS of the section 2 manual pages
/// (tools/gen-syscall-args.py), and which of them is the file descriptor or the path the call works on.
/// </summary>
/// <remarks>
/// <para>
/// Where a page shows only a glibc wrapper whose shape differs from the raw syscall's (clone, sigaction for
/// rt_sigaction, the flags argument that the raw faccessat and fchmodat lack), the parameters are the wrapper's;
/// the generator warns about each such call. None of them has a file descriptor or path parameter at a position
/// that differs from the raw syscall's.
/// </para>
/// <para>
/// The rule for <see cref="FdIndex"/> and <see cref="PathIndex"/> goes by parameter names and types, never by a
/// list of calls. The <b>fd</b> is the first parameter of an integer type (<c>int</c>, <c>unsigned int</c>,
/// <c>long</c>, <c>unsigned long</c> or <c>mqd_t</c>) whose name ends in <c>fd</c> (<c>fd</c>, <c>oldfd</c>,
/// <c>sockfd</c>, <c>epfd</c>, <c>pidfd</c>, <c>out_fd</c>, <c>group_fd</c>, ...), starts with <c>fd_</c>
/// (<c>fd_in</c>) or is <c>mqdes</c>; a directory descriptor (a name ending in <c>dirfd</c>) counts only in a call
/// without a path parameter, because there it only says where a relative path starts: <c>openat</c>,
/// <c>newfstatat</c> and the other <c>*at</c> calls have no fd, their path is <c>pathname</c> (the
/// <c>AT_EMPTY_PATH</c> form, which does operate on <c>dirfd</c>, is not told apart). With two descriptors the
/// first declared wins: <c>sendfile</c>'s <c>out_fd</c>, <c>splice</c>'s, <c>tee</c>'s and
/// <c>copy_file_range</c>'s <c>fd_in</c>, <c>dup2</c>'s <c>oldfd</c>, <c>epoll_ctl</c>'s <c>epfd</c>. The
/// <b>path</b> is the first parameter of type <c>const char *</c> or <c>char *</c> named <c>path</c>,
/// <c>pathname</c>, <c>oldpath</c>, <c>newpath</c>, <c>linkpath</c>, <c>filename</c>, <c>target</c>,
/// <c>special</c>, <c>specialfile</c>, <c>library</c>, <c>new_root</c> or <c>put_old</c>: <c>rename</c>'s
/// <c>oldpath</c>, <c>symlink</c>'s <c>target</c> (what the link will contain), <c>mount</c>'s <c>target</c>
/// (its <c>source</c> may be a dummy string such as <c>proc</c>). A parameter called <c>name</c> is never a path:
/// it is an extended attribute's, a host's or a module's name, and <c>mq_open</c>'s queue name is not a path in the
/// caller's file system.
/// </para>
/// </remarks>
public static partial class SyscallArguments
{
    private const string FileName = "syscall-args.tsv";

    // The raw "params" cell of each call; a call's cell is parsed (four regular expressions per parameter) the
    // first time the call is asked for, not all 340 at start-up: `phoebe check` asks about one or two calls.
    private static readonly Lazy<Dictionary<string, string>> Cells =
        new(() => EmbeddedTable.ReadKeyed(FileName, "syscall", "params"), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly ConcurrentDictionary<string, Entry?> Entries = new(StringComparer.Ordinal);

    private static readonly FrozenSet<string> FdTypes =
        new[] { "int", "unsigned int", "long", "unsigned long", "mqd_t" }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> PathTypes =
        new[] { "const char *", "char *" }.ToFrozenSet(StringComparer.Ordinal);

    [GeneratedRegex(@"^(?:\w*fd|fd_\w+|mqdes)$", RegexOptions.CultureInvariant)]
    private static partial Regex FdName();

    [GeneratedRegex(@"dirfd$", RegexOptions.CultureInvariant)]
    private static partial Regex DirFdName();

    [GeneratedRegex(
        @"^(?:(?:old|new|link)?path(?:name)?|filename|target|special(?:file)?|library|new_root|put_old)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex PathName();

    // "TYPE NAME": the name is the trailing identifier; "..." alone has none.
    [GeneratedRegex(@"^(?<type>.*?[\s*])(?<name>[A-Za-z_]\w*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Declaration();

    /// <summary>
    /// The parameters of <paramref name="syscall"/> (exact name) in order, empty for a call that takes none;
    /// <see langword="null"/> when no manual page declares a prototype for it.
    /// </summary>
    public static IReadOnlyList<SyscallParameter>? For(string syscall)
    {
        ArgumentNullException.ThrowIfNull(syscall);
        return EntryFor(syscall)?.Parameters;
    }

    /// <summary>
    /// The index of the file-descriptor parameter that <paramref name="syscall"/> operates on, or
    /// <see langword="null"/> (no such parameter, or an unknown call). See the remarks of
    /// <see cref="SyscallArguments"/> for the rule.
    /// </summary>
    public static int? FdIndex(string syscall)
    {
        ArgumentNullException.ThrowIfNull(syscall);
        return EntryFor(syscall)?.FdIndex;
    }

    /// <summary>
    /// The index of the first path parameter of <paramref name="syscall"/>, or <see langword="null"/> (no such
    /// parameter, or an unknown call). See the remarks of <see cref="SyscallArguments"/> for the rule.
    /// </summary>
    public static int? PathIndex(string syscall)
    {
        ArgumentNullException.ThrowIfNull(syscall);
        return EntryFor(syscall)?.PathIndex;
    }

    private sealed record Entry(IReadOnlyList<SyscallParameter> Parameters, int? FdIndex, int? PathIndex);

    private static Entry? EntryFor(string syscall) =>
        Entries.TryGetValue(syscall, out var known)
            ? known
            : Entries.GetOrAdd(syscall, Cells.Value.TryGetValue(syscall, out var cell) ? Describe(Parse(cell)) : null);

    private static SyscallParameter[] Parse(string cell) =>
        cell == "-"
            ? []
            : cell.Split(';').Select((text, index) =>
            {
                var m = Declaration().Match(text);
                return m.Success && m.Groups["type"].Value.Trim().Length > 0
                    ? new SyscallParameter(index, m.Groups["type"].Value.Trim(), m.Groups["name"].Value)
                    : new SyscallParameter(index, text.Trim(), "");
            }).ToArray();

    private static Entry Describe(SyscallParameter[] parameters)
    {
        var path = parameters.FirstOrDefault(p => PathTypes.Contains(p.Type) && PathName().IsMatch(p.Name));
        var fd = parameters.FirstOrDefault(p =>
            FdTypes.Contains(p.Type) && FdName().IsMatch(p.Name) && (path is null || !DirFdName().IsMatch(p.Name)));
        return new Entry(parameters, fd?.Index, path?.Index);
    }
}
