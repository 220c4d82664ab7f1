using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Phoebe.Lang;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Health;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Monitoring;

namespace Phoebe.Runtime.Doctor;

/// <summary>
/// What this machine can do for Phoebe: every mechanism it uses or could use, each found out by trying it
/// (a real injection into a real process, a real eBPF program, a real compile), not by reading kernel
/// configuration. Nothing is left behind: the trial processes end, the programs are unloaded. The one
/// lasting change is the one <c>observe</c> makes too: tracefs (and securityfs) mounted where they were not.
/// </summary>
public static class MachineDoctor
{
    // What the trials inject: uname is not called by the dynamic loader or the shell, so the only call that
    // can fail is the one the probe makes, and its exit status says whether it failed.
    private const string ProbeRule = "RULE doctor ON uname DO return EPERM";
    private static readonly LaunchSpec ProbeCommand = new("/bin/sh", ["-c", "uname >/dev/null 2>&1"]);

    private const int CAP_SYS_PTRACE = 19, CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39;

    /// <summary>Runs every check, in the order of the table, calling <paramref name="progress"/> before each.</summary>
    public static IReadOnlyList<MachineCheck> Run(Action<string>? progress = null)
    {
        var checks = new List<MachineCheck>();
        void Add(string name, Func<string, MachineCheck> trial)
        {
            progress?.Invoke(name);
            var clock = Stopwatch.StartNew();
            MachineCheck check;
            try
            {
                check = trial(name);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A trial that fails in an unexpected way still says what it met instead of ending the report.
                check = new MachineCheck(name, false, $"the trial failed: {e.Message.Split('\n')[0]}", "", null, false, TimeSpan.Zero);
            }
            checks.Add(check with { Took = clock.Elapsed });
        }

        Add("privileges", Privileges);
        Add("launcher", Launcher);
        Add("ptrace (launched commands)", _ => Inject(_, inKernel: false, notify: false,
            "run, experiment: rules at EXIT, conditions on data, every rule of a launched command",
            "the kernel refused ptrace: under a container or sandbox, allow ptrace (docker: --cap-add SYS_PTRACE; a seccomp profile that allows ptrace)", mainJob: true));
        Add("ptrace (attach to running processes)", Attach);
        Add("seccomp filter (RET_ERRNO)", _ => Inject(_, inKernel: true, notify: false,
            "run: unconditional ENTRY rules failed in the kernel, no stop",
            "needs CONFIG_SECCOMP_FILTER (every distribution kernel has it); under a container, a seccomp profile that allows seccomp(2)", mainJob: true));
        Add("seccomp user notification", _ => Inject(_, inKernel: false, notify: true,
            "run: ENTRY rules decided by a supervisor, ~3x cheaper than a ptrace stop (else ptrace serves them)",
            "needs Linux 5.0 and pidfd_getfd (5.6)", mainJob: false));
        Add("libbpf.so.1", Libbpf);
        Add("tracefs", TraceFsCheck);
        Add("eBPF tracepoints", Tracepoints);
        Add("kernel BTF", _ => Kernel(_, KernelBpfProbes.KernelBtf(),
            "CO-RE and task storage for cheaper observation; the BTF ids that fentry and BPF LSM programs attach to",
            "a kernel built with CONFIG_DEBUG_INFO_BTF (Debian 11 and later, Ubuntu 20.10 and later)"));
        Add("BPF LSM", _ => Kernel(_, KernelBpfProbes.BpfLsm(),
            "in-kernel injection by BPF LSM programs, with no stop (planned)",
            "a kernel with CONFIG_BPF_LSM and `bpf` in its active LSMs (Debian's stock kernel; elsewhere boot with lsm=...,bpf)"));
        Add("fentry/fexit", _ => Kernel(_, KernelBpfProbes.Fentry(),
            "observation of chosen syscalls only, at no cost to the others (planned)",
            "a kernel with ftrace (CONFIG_FUNCTION_TRACER) that lets BPF attach to functions"));
        Add("kprobes", _ => Kernel(_, KernelBpfProbes.Kprobes(),
            "nothing in Phoebe today (KTH Phoebe's injector attached kprobes)",
            "a kernel with CONFIG_KPROBES"));
        Add("bpf_override_return", _ => Kernel(_, KernelBpfProbes.KprobeOverride(),
            "nothing in Phoebe, which does not need it (KTH Phoebe's and Chaos Mesh's injection method)",
            null));
        Add("C compiler (cc)", CCompiler);
        Add("Roslyn (HEALTH checks)", Roslyn);
        return checks;
    }

    /// <summary>True when everything the README's main job (an experiment) needs is available.</summary>
    public static bool MainJobReady(IEnumerable<MachineCheck> checks) => checks.All(c => c.Available || !c.MainJob);

    // ------------------------------------------------------------------ the checks

    private static MachineCheck Privileges(string name)
    {
        bool root = LibC.GetEuid() == 0;
        ulong caps = StatusCaps("CapEff:");
        string Has(int cap, string capName) => (caps & (1UL << cap)) != 0 ? capName : "";
        var held = new[] { Has(CAP_SYS_PTRACE, "CAP_SYS_PTRACE"), Has(CAP_SYS_ADMIN, "CAP_SYS_ADMIN"), Has(CAP_BPF, "CAP_BPF"), Has(CAP_PERFMON, "CAP_PERFMON") }
            .Where(c => c.Length > 0).ToArray();
        bool enough = (caps & (1UL << CAP_BPF)) != 0 && (caps & (1UL << CAP_PERFMON)) != 0 || (caps & (1UL << CAP_SYS_ADMIN)) != 0;
        string who = root ? "root" : $"uid {LibC.GetEuid()}";
        string detail = held.Length == 0 ? $"{who}, no capabilities" : $"{who}, {string.Join(" ", held)}";
        return new MachineCheck(name, enough, detail,
            "eBPF (observe, --metrics) needs CAP_BPF and CAP_PERFMON or root; ptrace and seccomp need none for commands Phoebe starts",
            enough ? null : "run Phoebe as root (sudo), or grant it: setcap cap_bpf,cap_perfmon,cap_sys_ptrace+ep on the dotnet host",
            false, TimeSpan.Zero);
    }

    private static MachineCheck Launcher(string name)
    {
        string path = PtraceSession.LauncherPath;
        bool ok = File.Exists(path);
        return new MachineCheck(name, ok, ok ? path : $"{path} is missing",
            "starts every target of run and experiment (native/phoebe-launch.c)",
            ok ? null : "Phoebe's installation is incomplete: rebuild it (./phoebe builds it with cc) or reinstall the tool",
            true, TimeSpan.Zero);
    }

    /// <summary>Injects <see cref="ProbeRule"/> into <see cref="ProbeCommand"/> with the given backends allowed.</summary>
    private static MachineCheck Inject(string name, bool inKernel, bool notify, string gives, string fix, bool mainJob)
    {
        var compiled = PhoebeCompiler.Compile(new SourceText("doctor", ProbeRule + "\n"));
        if (compiled.Plan is null) throw new InvalidOperationException("the probe rule does not compile");
        var engine = new InjectionEngine(compiled.Plan.Rules, new InjectionOptions { InKernelErrno = inKernel, UseSeccompNotify = notify });
        int exit;
        try
        {
            exit = new PtraceSession(engine).Run(ProbeCommand);
        }
        catch (InjectionException e)
        {
            return new MachineCheck(name, false, e.Message, gives, fix, mainJob, TimeSpan.Zero);
        }
        long injected = engine.Rules[0].Injected;
        // In the kernel nothing is counted: the probe's exit status alone says that its uname failed.
        bool ok = exit == 1 && (inKernel || injected == 1);
        string how = inKernel ? "the kernel failed uname with EPERM" : $"uname failed with EPERM ({injected} injection)";
        return new MachineCheck(name, ok, ok ? $"tried: {how}" : $"tried: the probe exited {exit} with {injected} injections (expected 1 and 1)", gives, ok ? null : fix, mainJob, TimeSpan.Zero);
    }

    private static MachineCheck Attach(string name)
    {
        const string gives = "attach, observe --pid/--comm (and observe's ptrace backend)";
        string scope = ReadFirstLine("/proc/sys/kernel/yama/ptrace_scope") ?? "";
        string yama = scope switch
        {
            "" => "no Yama",
            "0" => "Yama ptrace_scope 0 (any process of the same user)",
            "1" => "Yama ptrace_scope 1 (descendants only, unless CAP_SYS_PTRACE)",
            "2" => "Yama ptrace_scope 2 (CAP_SYS_PTRACE only)",
            "3" => "Yama ptrace_scope 3 (no attaching at all)",
            _ => $"Yama ptrace_scope {scope}",
        };
        // A process that is not our descendant, as `attach --pid` meets them: the shell exits, its
        // background sleep is adopted by init (or a subreaper).
        int orphan = StartOrphan();
        try
        {
            PtraceSyscallMonitor.Attach([orphan]).Dispose();
            bool clean = ProcFs.StatusField(orphan, "TracerPid:") == 0 && ObservationTargets.State(orphan) is 'S' or 'R';
            return new MachineCheck(name, clean, clean ? $"tried: attached to a running process and detached; {yama}" : $"attached, but the process was left {ObservationTargets.State(orphan)}", gives, null, false, TimeSpan.Zero);
        }
        catch (InjectionException e)
        {
            string fix = scope switch
            {
                "3" => "ptrace_scope 3 cannot be lowered until reboot: boot with it lower",
                "1" or "2" => "run Phoebe as root or with CAP_SYS_PTRACE, or: sysctl kernel.yama.ptrace_scope=0",
                _ => "run Phoebe as the target's user or as root",
            };
            return new MachineCheck(name, false, $"{e.Message}; {yama}", gives, fix, false, TimeSpan.Zero);
        }
        finally
        {
            ObservationTargets.Signal(orphan, 9);
        }
    }

    private static int StartOrphan()
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["-c", "sleep 30 </dev/null >/dev/null 2>&1 & echo $!"]) info.ArgumentList.Add(arg);
        using var shell = Process.Start(info) ?? throw new InvalidOperationException("cannot run /bin/sh");
        string line = shell.StandardOutput.ReadLine() ?? "";
        shell.WaitForExit();
        int pid = int.Parse(line, CultureInfo.InvariantCulture);
        // Asleep, so that the attach meets it as it would a server waiting for work.
        for (int i = 0; i < 2000 && ObservationTargets.State(pid) != 'S'; i++) Thread.Sleep(1);
        return pid;
    }

    private static MachineCheck Libbpf(string name)
    {
        bool ok = LibBpf.IsAvailable(out string? why);
        return new MachineCheck(name, ok, ok ? "loads" : why ?? "cannot be loaded",
            "loads the eBPF monitor (observe, run --metrics, experiment's observation)",
            ok ? null : "apt-get install libbpf1 (Debian's iproute2 brings it); without it experiment observes with ptrace",
            false, TimeSpan.Zero);
    }

    private static MachineCheck TraceFsCheck(string name)
    {
        const string gives = "eBPF tracepoints: libbpf finds them there";
        if (TraceFs.MountedAt() is { } mounted) return new MachineCheck(name, true, $"mounted at {mounted}", gives, null, false, TimeSpan.Zero);
        try
        {
            string at = TraceFs.EnsureMounted();
            return new MachineCheck(name, true, $"was not mounted: mounted it at {at} (as observe does)", gives, null, false, TimeSpan.Zero);
        }
        catch (MonitorUnavailableException e)
        {
            return new MachineCheck(name, false, $"not mounted: {e.Message}", gives, "as root: mount -t tracefs nodev /sys/kernel/tracing", false, TimeSpan.Zero);
        }
    }

    private static MachineCheck Tracepoints(string name)
    {
        const string gives = "observe (eBPF backend), run/attach --metrics, experiment's observation";
        try
        {
            using var monitor = SyscallMonitor.Start(Environment.ProcessId);
            // A few calls of our own, then the counters must show them.
            for (int i = 0; i < 10; i++) LibC.GetEuid();
            var counts = monitor.Collect();
            long calls = counts.Counters.Sum(c => c.Count);
            bool ok = calls > 0;
            return new MachineCheck(name, ok, ok ? $"tried: loaded the monitor on raw_syscalls and counted {calls} calls of this process" : "loaded the monitor, but it counted nothing",
                gives, null, false, TimeSpan.Zero);
        }
        catch (MonitorUnavailableException e)
        {
            string fix = e.Reason switch
            {
                MonitorUnavailableReason.Permission => "run as root, or with CAP_BPF and CAP_PERFMON; meanwhile: observe --backend ptrace",
                MonitorUnavailableReason.LibraryMissing => "apt-get install libbpf1; meanwhile: observe --backend ptrace",
                MonitorUnavailableReason.ObjectMissing => "reinstall or rebuild Phoebe",
                _ => "a kernel with CONFIG_BPF_SYSCALL and tracepoints (every distribution kernel); meanwhile: observe --backend ptrace",
            };
            return new MachineCheck(name, false, e.Message.Split('\n')[0], gives, fix, false, TimeSpan.Zero);
        }
    }

    private static MachineCheck Kernel(string name, ProbeResult probe, string gives, string? fix) =>
        new(name, probe.Available, probe.Detail, gives, probe.Available ? null : fix, false, TimeSpan.Zero);

    private static MachineCheck CCompiler(string name)
    {
        const string gives = "./phoebe builds its launcher with it from a checkout; the bundled demo builds its service with it";
        string dir = Directory.CreateTempSubdirectory("phoebe-doctor-").FullName;
        try
        {
            string source = Path.Combine(dir, "probe.c");
            File.WriteAllText(source, "int main(void) { return 0; }\n");
            var info = new ProcessStartInfo("cc") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in (string[])["-o", Path.Combine(dir, "probe"), source]) info.ArgumentList.Add(arg);
            using var cc = Process.Start(info)!;
            string errors = cc.StandardError.ReadToEnd();
            cc.WaitForExit();
            bool ok = cc.ExitCode == 0;
            return new MachineCheck(name, ok, ok ? "tried: compiled and linked a C program" : $"cc failed: {errors.Split('\n')[0]}", gives, ok ? null : "apt-get install gcc libc6-dev", true, TimeSpan.Zero);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new MachineCheck(name, false, "no cc on PATH", gives, "apt-get install gcc libc6-dev", true, TimeSpan.Zero);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static MachineCheck Roslyn(string name)
    {
        const string gives = "HEALTH checks (check, scenario validate, experiment)";
        if (!RuntimeFeature.IsDynamicCodeSupported) throw new ManagedRuntimeRequiredException();
        var compiled = PhoebeCompiler.Compile(new SourceText("doctor", "HEALTH doctor { return Environment.ProcessId > 0; }\n"));
        var plan = compiled.Plan?.HealthChecks.FirstOrDefault() ?? throw new InvalidOperationException("the probe check does not compile");
        var clock = Stopwatch.StartNew();
        // No disk cache: this measures what a first check costs on this machine.
        var result = new HealthCompiler(cacheDirectory: null).Compile(plan, null);
        bool ok = result.Check is not null;
        return new MachineCheck(name, ok,
            ok ? $"tried: first compile of a check took {clock.Elapsed.TotalMilliseconds:0} ms (later ones are cached on disk)" : $"the probe check did not compile: {result.Diagnostics.FirstOrDefault()?.Message}",
            gives, ok ? null : "reinstall Phoebe (Roslyn ships with it)", true, TimeSpan.Zero);
    }

    // ------------------------------------------------------------------ helpers

    private static ulong StatusCaps(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal)) return ulong.Parse(line.AsSpan(field.Length).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return 0;
    }

    private static string? ReadFirstLine(string path)
    {
        try { return File.ReadLines(path).FirstOrDefault()?.Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
