using Phoebe.Lang.Syntax;

namespace Phoebe.Runtime.Synthesis;

/// <summary>When a synthesized rule injects its error (docs/profile.md, "Which phase").</summary>
public enum SynthesisPhase
{
    /// <summary>At EXIT, into calls that succeeded naturally (<c>retval &gt;= 0</c>): the paper's injector, and the default.</summary>
    Exit,

    /// <summary>At ENTRY: the call does not run and returns the error.</summary>
    Entry,

    /// <summary>ENTRY for syscalls whose success moves data or makes a resource (read, write, accept4, openat...), EXIT for the others.</summary>
    Auto,
}

/// <summary>Which phase a synthesized rule of a syscall uses.</summary>
public static class SynthesisPhases
{
    /// <summary>
    /// Syscalls whose successful call does something a replaced result would hide from the program: it moves
    /// bytes (read, write, send, recv), or makes or takes a resource (a descriptor, a connection, a mapping, a
    /// file). Failing such a call at EXIT loses what it did (a connection accepted and never served, bytes read
    /// and dropped, a file created that the program thinks is not there), which the natural error never does.
    /// </summary>
    public static readonly IReadOnlySet<string> SideEffects = new HashSet<string>(StringComparer.Ordinal)
    {
        "read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recvmmsg",
        "write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "sendmmsg", "sendfile", "splice", "tee", "copy_file_range",
        "accept", "accept4", "open", "openat", "openat2", "creat", "socket", "socketpair", "pipe", "pipe2", "dup", "dup2", "dup3",
        "epoll_create", "epoll_create1", "eventfd", "eventfd2", "timerfd_create", "signalfd", "signalfd4", "inotify_init", "inotify_init1",
        "memfd_create", "mmap", "mremap", "brk", "clone", "clone3", "fork", "vfork",
        "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat",
        "ftruncate", "truncate", "fallocate", "connect", "bind", "listen",
    };

    /// <summary>The phase of a rule on <paramref name="syscall"/> when synthesizing with <paramref name="choice"/>.</summary>
    public static Phase For(string syscall, SynthesisPhase choice) => choice switch
    {
        SynthesisPhase.Entry => Phase.Entry,
        SynthesisPhase.Auto when SideEffects.Contains(syscall) => Phase.Entry,
        _ => Phase.Exit,
    };

    /// <summary>The rule text after the target: <c>EXIT IF retval &gt;= 0 &amp;&amp; chance(R)</c> or <c>ENTRY IF chance(R)</c>.</summary>
    public static string Condition(Phase phase, string rate) =>
        phase == Phase.Exit ? $"EXIT IF retval >= 0 && chance({rate})" : $"ENTRY IF chance({rate})";
}
