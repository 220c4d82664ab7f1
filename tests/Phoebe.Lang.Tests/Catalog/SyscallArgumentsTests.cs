using Phoebe.Lang.Catalog;

namespace Phoebe.Lang.Tests.Catalog;

public class SyscallArgumentsTests
{
    [Fact]
    public void OpenatHasTheManPageParameters()
    {
        var openat = SyscallArguments.For("openat");
        Assert.NotNull(openat);
        Assert.Equal(
            [
                new SyscallParameter(0, "int", "dirfd"),
                new SyscallParameter(1, "const char *", "pathname"),
                new SyscallParameter(2, "int", "flags"),
                new SyscallParameter(3, "mode_t", "mode"),
            ],
            openat);
    }

    [Fact]
    public void OpenTakesTheOverloadWithMode()
    {
        Assert.Equal(["pathname", "flags", "mode"], SyscallArguments.For("open")!.Select(p => p.Name));
    }

    [Fact]
    public void CallsWithoutParametersHaveAnEmptyList()
    {
        Assert.Empty(SyscallArguments.For("getpid")!);
    }

    [Fact]
    public void UnknownCallsHaveNoEntry()
    {
        Assert.Null(SyscallArguments.For("no_such_call"));
        Assert.Null(SyscallArguments.For("OPENAT"));
        Assert.Null(SyscallArguments.FdIndex("no_such_call"));
        Assert.Null(SyscallArguments.PathIndex("no_such_call"));
    }

    [Fact]
    public void RawSyscallFormsArePreferred()
    {
        // futex(2) shows only syscall(SYS_futex, ...); rt_sigprocmask's raw form has sigsetsize.
        Assert.Equal(["uaddr", "futex_op", "val", "timeout", "uaddr2", "val3"], SyscallArguments.For("futex")!.Select(p => p.Name));
        Assert.Equal(["how", "set", "oldset", "sigsetsize"], SyscallArguments.For("rt_sigprocmask")!.Select(p => p.Name));
    }

    [Fact]
    public void ArraysDecayAndVariadicsKeepTheirNames()
    {
        Assert.Equal(new SyscallParameter(1, "void *", "buf"), SyscallArguments.For("read")![1]);
        Assert.Equal(new SyscallParameter(1, "char *const *", "argv"), SyscallArguments.For("execve")![1]);
        Assert.Equal(new SyscallParameter(2, "...", "arg"), SyscallArguments.For("fcntl")![2]);
        Assert.Equal(new SyscallParameter(2, "...", ""), SyscallArguments.For("ioctl")![2]);
    }

    [Fact]
    public void GlibcNamesStandForTheirSyscalls()
    {
        // newfstatat.2 -> fstatat.2 -> stat.2, which declares fstatat.
        Assert.Equal(["dirfd", "pathname", "statbuf", "flags"], SyscallArguments.For("newfstatat")!.Select(p => p.Name));
        Assert.Equal(["fd", "buf", "count", "offset"], SyscallArguments.For("pread64")!.Select(p => p.Name));
    }

    [Theory]
    [InlineData("read", 0)]
    [InlineData("write", 0)]
    [InlineData("close", 0)]
    [InlineData("dup2", 0)]
    [InlineData("connect", 0)]
    [InlineData("sendto", 0)]
    [InlineData("mmap", 4)]
    [InlineData("epoll_ctl", 0)]
    [InlineData("sendfile", 0)]
    [InlineData("splice", 0)]
    [InlineData("getdents", 0)]
    [InlineData("mq_timedsend", 0)]
    [InlineData("fanotify_mark", 0)]
    [InlineData("open_by_handle_at", 0)]
    public void FdIndexFindsTheDescriptor(string syscall, int index)
    {
        Assert.Equal(index, SyscallArguments.FdIndex(syscall));
    }

    [Theory]
    [InlineData("open", 0)]
    [InlineData("openat", 1)]
    [InlineData("execve", 0)]
    [InlineData("renameat2", 1)]
    [InlineData("rename", 0)]
    [InlineData("symlinkat", 0)]
    [InlineData("newfstatat", 1)]
    [InlineData("fanotify_mark", 4)]
    [InlineData("mount", 1)]
    [InlineData("acct", 0)]
    [InlineData("swapon", 0)]
    [InlineData("inotify_add_watch", 1)]
    public void PathIndexFindsThePath(string syscall, int index)
    {
        Assert.Equal(index, SyscallArguments.PathIndex(syscall));
    }

    [Theory]
    [InlineData("openat")]
    [InlineData("newfstatat")]
    [InlineData("renameat2")]
    [InlineData("execveat")]
    [InlineData("unlinkat")]
    public void DirectoryDescriptorsBesideAPathAreNoFd(string syscall)
    {
        Assert.Null(SyscallArguments.FdIndex(syscall));
        Assert.NotNull(SyscallArguments.PathIndex(syscall));
    }

    [Theory]
    [InlineData("futex")]
    [InlineData("getpid")]
    [InlineData("select")]
    [InlineData("poll")]
    [InlineData("pipe")]
    [InlineData("kill")]
    public void CallsWithNeitherHaveNoIndex(string syscall)
    {
        Assert.NotNull(SyscallArguments.For(syscall));
        Assert.Null(SyscallArguments.FdIndex(syscall));
        Assert.Null(SyscallArguments.PathIndex(syscall));
    }

    [Theory]
    [InlineData("read")]
    [InlineData("connect")]
    [InlineData("mmap")]
    public void DescriptorCallsHaveNoPath(string syscall)
    {
        Assert.Null(SyscallArguments.PathIndex(syscall));
    }

    [Fact]
    public void NamesAreNotPaths()
    {
        // An extended attribute's name, a memfd's label, a message queue's name.
        Assert.Equal(0, SyscallArguments.FdIndex("fgetxattr"));
        Assert.Null(SyscallArguments.PathIndex("fgetxattr"));
        Assert.Null(SyscallArguments.PathIndex("memfd_create"));
        Assert.Null(SyscallArguments.PathIndex("mq_open"));
        Assert.Equal(0, SyscallArguments.PathIndex("getxattr"));
    }

    [Fact]
    public void IndexesPointAtParametersOfTheRightType()
    {
        foreach (var call in SyscallTable.All)
        {
            var parameters = SyscallArguments.For(call.Name);
            if (parameters is null)
            {
                Assert.Null(SyscallArguments.FdIndex(call.Name));
                Assert.Null(SyscallArguments.PathIndex(call.Name));
                continue;
            }

            Assert.Equal(Enumerable.Range(0, parameters.Count), parameters.Select(p => p.Index));
            if (SyscallArguments.FdIndex(call.Name) is int fd)
            {
                Assert.DoesNotContain("*", parameters[fd].Type);
            }

            if (SyscallArguments.PathIndex(call.Name) is int path)
            {
                Assert.EndsWith("char *", parameters[path].Type);
            }
        }
    }

    [Fact]
    public void MostCallsAreCovered()
    {
        var names = SyscallTable.All.Select(s => s.Name).ToArray();
        var declared = names.Count(n => SyscallArguments.For(n) is not null);
        var withFd = names.Count(n => SyscallArguments.FdIndex(n) is not null);
        var withPath = names.Count(n => SyscallArguments.PathIndex(n) is not null);
        Assert.True(declared >= 300, $"only {declared} calls have parameters");
        Assert.True(withFd >= 75, $"only {withFd} calls have an fd");
        Assert.True(withPath >= 55, $"only {withPath} calls have a path");
    }
}
