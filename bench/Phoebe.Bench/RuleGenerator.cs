namespace Phoebe.Bench;

/// <summary>
/// Generates varied, realistic rules from a seed: different syscalls and classes,
/// ENTRY/EXIT, per-call conditions on arguments, paths (globs and regexes), call
/// numbers, chance, pid/comm/retval, control terms (<c>rate &lt; observed.max * 1.2</c>,
/// <c>elapsed</c>) and the actions return/delay/log/signal.
/// Every rule is meant to check without errors (and without warnings: errnos come
/// from each syscall's man page); <see cref="RuleCorpus.Validate"/> asserts it.
/// </summary>
internal sealed class RuleGenerator(int seed)
{
    // Name; whether `path` conditions make sense (a file path, or a file behind the fd: the checker
    // also allows `path` on sockets, which is not realistic); whether the call operates on an fd
    // (`fd` is legal: the man page's prototype has an fd parameter that is not a dirfd); and errnos
    // from the ERRORS section of its man page (a realistic subset).
    private sealed record Spec(string Name, bool Path, bool Fd, string[] Errnos);

    private static readonly Spec[] Syscalls =
    [
        new("openat", true, false, ["ENOENT", "EACCES", "EMFILE", "ENFILE", "ENOSPC", "EINTR", "EROFS", "ELOOP"]),
        new("open", true, false, ["ENOENT", "EACCES", "EMFILE", "ENFILE", "ENOSPC", "EINTR", "EROFS"]),
        new("read", true, true, ["EAGAIN", "EINTR", "EIO", "EBADF"]),
        new("write", true, true, ["EAGAIN", "EINTR", "EIO", "ENOSPC", "EPIPE", "EDQUOT", "EBADF"]),
        new("pread64", true, true, ["EAGAIN", "EINTR", "EIO"]),
        new("close", true, true, ["EINTR", "EIO", "EBADF"]),
        new("fsync", true, true, ["EIO", "ENOSPC", "EINTR", "EDQUOT"]),
        new("newfstatat", true, false, ["ENOENT", "EACCES", "ENOMEM", "ELOOP"]),
        new("statx", true, false, ["ENOENT", "EACCES", "ENOMEM"]),
        new("unlinkat", true, false, ["ENOENT", "EACCES", "EBUSY", "EROFS", "EPERM", "EIO"]),
        new("getdents64", true, true, ["ENOENT", "EINVAL", "EBADF"]),
        new("ioctl", true, true, ["ENOTTY", "EINVAL", "EBADF"]),
        new("mmap", true, true, ["ENOMEM", "EAGAIN", "EACCES"]),
        new("epoll_wait", false, true, ["EINTR"]),
        new("mkdir", true, false, ["EEXIST", "EACCES", "ENOSPC", "EROFS", "EDQUOT"]),
        new("rename", true, false, ["EXDEV", "EACCES", "EBUSY", "ENOSPC", "EROFS"]),
        new("access", true, false, ["ENOENT", "EACCES", "EROFS"]),
        new("readlink", true, false, ["ENOENT", "EINVAL", "EACCES"]),
        new("chdir", true, false, ["ENOENT", "EACCES", "ENOTDIR"]),
        new("connect", false, true, ["ECONNREFUSED", "ETIMEDOUT", "ENETUNREACH", "EINTR", "EAGAIN"]),
        new("accept4", false, true, ["EAGAIN", "EMFILE", "ENFILE", "ECONNABORTED", "EINTR"]),
        new("sendto", false, true, ["EAGAIN", "EPIPE", "ENOBUFS", "ECONNRESET", "EINTR"]),
        new("recvfrom", false, true, ["EAGAIN", "ECONNREFUSED", "EINTR", "ENOMEM"]),
        new("socket", false, false, ["EMFILE", "ENFILE", "ENOBUFS", "EACCES"]),
        new("futex", false, false, ["ETIMEDOUT", "EAGAIN", "EINTR"]),
        new("clone3", false, false, ["EAGAIN", "ENOMEM"]),
        new("getrandom", false, false, ["EAGAIN", "EINTR"]),
        new("nanosleep", false, false, ["EINTR"]),
        new("brk", false, false, []),
    ];

    // Syscalls that rules often name together.
    private static readonly string[][] Lists =
    [
        ["read", "write"], ["open", "openat"], ["newfstatat", "statx"], ["sendto", "recvfrom"],
        ["read", "pread64"], ["openat", "newfstatat", "access"], ["accept4", "connect"], ["write", "fsync"],
    ];

    // Classes and plausible errnos (the man-page check applies to named syscalls only). No `path` or
    // `fd` on classes: every member would need one, and %file and %desc have members without.
    private static readonly (string Name, string[] Errnos)[] Classes =
    [
        ("file", ["EACCES", "ENOENT", "EROFS"]),
        ("desc", ["EBADF", "EINTR", "EIO"]),
        ("network", ["ECONNRESET", "EAGAIN", "ENOBUFS"]),
        ("memory", ["ENOMEM", "EAGAIN"]),
    ];

    private static readonly string[] Globs =
    [
        "/tmp/*", "/var/lib/*/data/*.db", "*.log", "/etc/*", "/home/*/.cache/*", "/proc/*/stat",
        "/data/[0-9]*/wal-*", "/srv/www/*.htm?", "/run/*.sock", "/usr/lib/x86_64-linux-gnu/*.so*",
    ];

    private static readonly string[] Regexes =
    [
        @"^/etc/.*\.conf$", @"\.sqlite(-wal|-journal)?$", @"^/var/log/[a-z]+\.log(\.\d+)?$", @"^/proc/\d+/fd/\d+$",
        @"(?i)\.json$", @"^/tmp/phoebe-[0-9a-f]{8}$", @"^/data/(shard|part)-\d{3}/", @"/\.git/(objects|refs)/",
    ];

    private static readonly string[] Comms = ["nginx", "redis-server", "postgres", "java", "python3", "node", "envoy", "etcd"];
    private static readonly string[] CommGlobs = ["redis-*", "postgres*", "java*", "kube-*"];
    private static readonly string[] Messages =
    [
        "injected", "x", "disk full on the data volume", "slow storage", "connection reset by chaos",
        "lock timeout", "simulated EIO", "flaky network",
    ];

    private readonly Random random = new(seed);

    /// <summary>Generates <paramref name="count"/> rules.</summary>
    public List<GenRule> Generate(int count)
    {
        var rules = new List<GenRule>(count);
        for (int i = 0; i < count; i++) rules.Add(NextRule(i));
        return rules;
    }

    private GenRule NextRule(int index)
    {
        // Targets and what they allow.
        IReadOnlyList<string> targets;
        bool path, fd;
        string[] errnos;
        double shape = random.NextDouble();
        if (shape < 0.75)
        {
            var s = Pick(Syscalls);
            (targets, path, fd, errnos) = ([s.Name], s.Path, s.Fd, s.Errnos);
        }
        else if (shape < 0.92)
        {
            var list = Pick(Lists);
            var specs = list.Select(n => Syscalls.First(s => s.Name == n)).ToArray();
            targets = list;
            path = specs.All(s => s.Path);
            fd = specs.All(s => s.Fd);
            errnos = specs.Skip(1).Aggregate((IEnumerable<string>)specs[0].Errnos, (acc, s) => acc.Intersect(s.Errnos)).ToArray();
        }
        else
        {
            var c = Pick(Classes);
            (targets, path, fd, errnos) = (["%" + c.Name], false, false, c.Errnos);
        }

        double ph = random.NextDouble();
        string? phase = ph < 0.45 ? "EXIT" : ph < 0.85 ? "ENTRY" : null;
        bool exit = phase == "EXIT";

        // Actions.
        var actions = new List<GenAction>();
        string? errno = null;
        double a = random.NextDouble();
        if (a < 0.72 && errnos.Length > 0)
        {
            errno = Pick(errnos);
            double prefix = random.NextDouble();
            if (prefix < 0.18) actions.Add(new GenDelay(Pick(["10ms", "1ms", "250us", "50ms", "2s"])));
            else if (prefix < 0.30) actions.Add(new GenLog(Pick(Messages)));
            actions.Add(new GenReturn(errno, true));
        }
        else if (a < 0.84)
        {
            actions.Add(new GenDelay(Pick(["10ms", "100ms", "1.5s", "500us", "20ms"])));
            if (random.NextDouble() < 0.3) actions.Add(new GenLog(Pick(Messages)));
        }
        else if (a < 0.90)
        {
            actions.Add(new GenLog(Pick(Messages)));
        }
        else if (a < 0.96)
        {
            actions.Add(new GenReturn(Pick(["0", "1", "4096"]), false));
        }
        else
        {
            actions.Add(new GenSignal(Pick(["SIGUSR1", "SIGSTOP", "SIGTERM", "SIGSEGV"])));
        }

        // Condition: top-level conjuncts, each purely per-call or purely control.
        var terms = new List<GenExpr>();
        double n = random.NextDouble();
        int perCall = n < 0.15 ? 0 : n < 0.50 ? 1 : n < 0.80 ? 2 : 3;
        for (int i = 0; i < perCall; i++)
        {
            terms.Add(random.NextDouble() < 0.12
                ? new GenParen(new GenBinary(Pick(["||", "||", "or"]), PerCallTerm(path, fd, exit), PerCallTerm(path, fd, exit)))
                : PerCallTerm(path, fd, exit));
        }
        GenExpr? control = null;
        if (exit && errno != null && random.NextDouble() < 0.45)
        {
            control = random.NextDouble() < 0.8
                ? new GenBinary("<", new GenName("rate"), new GenBinary("*", new GenName("observed.max"), new GenLiteral(LitKind.Float, "1.2")))
                : new GenBinary("<", new GenName("rate"), new GenLiteral(LitKind.Float, Pick(["0.05", "0.01", "0.2"])));
        }
        else if (random.NextDouble() < 0.08)
        {
            control = new GenBinary(Pick([">", "<"]), new GenName("elapsed"), new GenLiteral(LitKind.Duration, Pick(["30s", "5m", "1h", "90s"])));
        }
        if (control != null) terms.Insert(random.NextDouble() < 0.7 ? 0 : terms.Count, control);

        GenExpr? condition = null;
        foreach (var t in terms)
        {
            condition = condition is null ? t : new GenBinary(random.NextDouble() < 0.85 ? "&&" : "and", condition, t);
        }

        string first = targets[0].TrimStart('%');
        string what = errno?.ToLowerInvariant() ?? actions[^1] switch
        {
            GenDelay => "slow",
            GenLog => "log",
            GenSignal => "signal",
            _ => "fake",
        };
        string name = $"{first}_{what}_{index:D5}";
        string? comment = random.NextDouble() < 0.15 ? Pick(Messages) + (errno != null ? $": {errno} at " + (exit ? "exit" : "entry") : "") : null;
        return new GenRule(name, targets, phase, condition, actions, comment, random.NextDouble() < 0.4, random.NextDouble() < 0.5);
    }

    private GenExpr PerCallTerm(bool path, bool fd, bool exit)
    {
        while (true)
        {
            switch (random.Next(14))
            {
                case 0 or 1:
                    return Compare(Arg(), Pick(["==", "==", "!=", "<", ">", ">=", "<="]), ArgValue());
                case 2:
                    return new GenBinary(">", Arg(), new GenBinary("*", new GenLiteral(LitKind.Int, Pick(["4", "16", "64"])), new GenLiteral(LitKind.Int, "4096")));
                case 3:
                    return Compare(new GenName("call"), Pick(["==", ">", ">=", "<="]), new GenLiteral(LitKind.Int, random.Next(1, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                case 4:
                    return new GenCall("chance", random.NextDouble() < 0.75
                        ? new GenLiteral(LitKind.Percentage, Pick(["1%", "2%", "5%", "10%", "12.5%", "25%", "50%"]))
                        : new GenLiteral(LitKind.Float, Pick(["0.05", "0.25", "0.5", "0.001"])));
                case 5 when path:
                    return new GenBinary("~", new GenName("path"), new GenLiteral(LitKind.String, Pick(Globs)));
                case 6 when path:
                    return new GenBinary("=~", new GenName("path"), new GenLiteral(LitKind.RawString, Pick(Regexes)));
                case 7 when fd:
                    return Compare(new GenName("fd"), Pick(["==", ">", "!="]), new GenLiteral(LitKind.Int, Pick(["0", "1", "2", "3", "7", "255"])));
                case 8:
                    return Compare(new GenName(Pick(["pid", "tid"])), Pick(["==", "!="]), new GenLiteral(LitKind.Int, random.Next(1, 65536).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                case 9:
                    return random.Next(3) switch
                    {
                        0 => new GenBinary("==", new GenName("comm"), new GenLiteral(LitKind.String, Pick(Comms))),
                        1 => new GenBinary("~", new GenName("comm"), new GenLiteral(LitKind.String, Pick(CommGlobs))),
                        _ => new GenBinary("=~", new GenName("comm"), new GenLiteral(LitKind.RawString, "^(java|python3?)$")),
                    };
                case 10 when exit:
                    return random.Next(3) switch
                    {
                        0 => Compare(new GenName("retval"), Pick([">=", ">", "=="]), new GenLiteral(LitKind.Int, "0")),
                        1 => new GenBinary("!=", new GenName("retval"), new GenUnary("-", new GenName(Pick(["EAGAIN", "EINTR"])))),
                        _ => new GenBinary(">", new GenName("retval"), new GenLiteral(LitKind.Int, "512")),
                    };
                case 11:
                    return Compare(new GenName("injected"), "<", new GenLiteral(LitKind.Int, Pick(["10", "100", "1000"])));
                case 12:
                    return random.NextDouble() < 0.5
                        ? new GenUnary("!", new GenParen(Compare(Arg(), "==", ArgValue())))
                        : new GenUnary("not", Compare(new GenName("call"), "==", new GenLiteral(LitKind.Int, "1")));
                case 13:
                    return new GenBinary(Pick([">=", "<"]), new GenBinary(Pick(["-", "+"]), new GenName("arg2"), new GenName("arg1")), new GenLiteral(LitKind.Int, "512"));
            }
        }
    }

    private static GenExpr Compare(GenExpr left, string op, GenExpr right) => new GenBinary(op, left, right);

    private GenName Arg() => new("arg" + random.Next(6).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private GenLiteral ArgValue() => random.Next(10) switch
    {
        < 5 => new GenLiteral(LitKind.Int, Pick(["0", "1", "2", "3", "100", "4096", "65536"])),
        < 8 => new GenLiteral(LitKind.Hex, Pick(["0x80000", "0x241", "0x1", "0xffff", "0x4000_0000"])),
        _ => new GenLiteral(LitKind.Int, "1_000_000"),
    };

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
