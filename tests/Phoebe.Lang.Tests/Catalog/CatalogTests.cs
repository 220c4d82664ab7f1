using Phoebe.Lang.Catalog;

namespace Phoebe.Lang.Tests.Catalog;

public class CatalogTests
{
    [Fact]
    public void OpenatHasItsNumberOnEachArchitecture()
    {
        var openat = SyscallTable.Lookup("openat");
        Assert.NotNull(openat);
        Assert.Equal(257, openat.NumberFor(Architecture.X86_64));
        Assert.Equal(56, openat.NumberFor(Architecture.Aarch64));
    }

    [Fact]
    public void OpenExistsOnlyOnX86_64()
    {
        var open = SyscallTable.Lookup("open");
        Assert.NotNull(open);
        Assert.Equal(2, open.X86_64Number);
        Assert.Null(open.Aarch64Number);
    }

    [Fact]
    public void SyscallLookupIsExact()
    {
        Assert.Null(SyscallTable.Lookup("OPENAT"));
        Assert.Null(SyscallTable.Lookup("opnat"));
    }

    [Fact]
    public void AllIsSortedByName()
    {
        var names = SyscallTable.All.Select(s => s.Name).ToArray();
        Assert.True(names.Length > 300, $"only {names.Length} syscalls");
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public void ClassesFollowStrace()
    {
        Assert.DoesNotContain("file", SyscallTable.Lookup("futex")!.Classes);
        Assert.Contains(SyscallTable.Class("file")!, s => s.Name == "openat");
        Assert.Contains(SyscallTable.Class("desc")!, s => s.Name == "openat");
        Assert.DoesNotContain(SyscallTable.Class("file")!, s => s.Name == "futex");
        Assert.Contains(SyscallTable.Class("network")!, s => s.Name == "connect");
        Assert.Contains(SyscallTable.Class("memory")!, s => s.Name == "mmap");
        Assert.Contains(SyscallTable.Class("process")!, s => s.Name == "clone");
        Assert.Contains(SyscallTable.Class("pure")!, s => s.Name == "getpid");
    }

    [Fact]
    public void ClassNamesAcceptStraceSpellings()
    {
        Assert.Same(SyscallTable.Class("network"), SyscallTable.Class("net"));
        Assert.Same(SyscallTable.Class("file"), SyscallTable.Class("%file"));
        Assert.Same(SyscallTable.Class("stat_like"), SyscallTable.Class("%%stat"));
        Assert.Null(SyscallTable.Class("files"));
        Assert.Contains("file", SyscallTable.ClassNames);
        Assert.DoesNotContain("net", SyscallTable.ClassNames);
        Assert.Equal(SyscallTable.ClassNames.Order(StringComparer.Ordinal), SyscallTable.ClassNames);
    }

    [Fact]
    public void ErrnosHaveKernelNumbersAndAliases()
    {
        Assert.Equal(2, ErrnoCatalog.Lookup("ENOENT")!.Number);
        var wouldBlock = ErrnoCatalog.Lookup("EWOULDBLOCK");
        Assert.NotNull(wouldBlock);
        Assert.Equal(ErrnoCatalog.Lookup("EAGAIN")!.Number, wouldBlock.Number);
        Assert.Equal("EAGAIN", wouldBlock.AliasOf);
        Assert.Equal("EAGAIN", ErrnoCatalog.ByNumber(11)!.Name);
        Assert.Equal("EOPNOTSUPP", ErrnoCatalog.ByNumber(ErrnoCatalog.Lookup("ENOTSUP")!.Number)!.Name);
        Assert.Null(ErrnoCatalog.Lookup("ENOTANERRNO"));
        Assert.Null(ErrnoCatalog.ByNumber(0));
    }

    [Fact]
    public void SignalsHaveX86_64Numbers()
    {
        Assert.Equal(9, SignalCatalog.Lookup("SIGKILL")!.Number);
        Assert.Equal(15, SignalCatalog.Lookup("SIGTERM")!.Number);
        Assert.Equal("SIGABRT", SignalCatalog.Lookup("SIGIOT")!.AliasOf);
        Assert.Null(SignalCatalog.Lookup("KILL"));
    }

    [Fact]
    public void SyscallErrorsComeFromTheManPages()
    {
        var openat = SyscallErrors.For("openat");
        Assert.NotNull(openat);
        Assert.Contains("ENOENT", openat);
        Assert.Contains("EACCES", openat);
        Assert.Contains("ETIMEDOUT", SyscallErrors.For("futex")!);
        Assert.Empty(SyscallErrors.For("getpid")!);
        Assert.Null(SyscallErrors.For("no_such_syscall"));
        Assert.All(openat, e => Assert.NotNull(ErrnoCatalog.Lookup(e)));
    }

    [Fact]
    public void SuggestionsFindCloseNames()
    {
        var names = SyscallTable.All.Select(s => s.Name).ToArray();
        Assert.Equal("openat", Suggestions.Closest("opnat", names));
        Assert.Equal("openat", Suggestions.Closest("OPENAT", names));
        Assert.Equal("futex", Suggestions.Closest("futxe", names));
        Assert.Null(Suggestions.Closest("xyzzy", names));
        Assert.Null(Suggestions.Closest("", names));
    }
}
