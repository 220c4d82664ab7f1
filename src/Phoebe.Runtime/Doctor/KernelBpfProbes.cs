using System.Globalization;
using System.Runtime.InteropServices;
using Phoebe.Runtime.Interop;
using static Phoebe.Runtime.Interop.BpfSyscall;

namespace Phoebe.Runtime.Doctor;

/// <summary>
/// What the kernel's BPF can do here, each answer measured by trying: a program of two to four hand-written
/// instructions is loaded and attached, and closed at once. No probe throws for a missing capability, and each
/// releases all it opened before it returns.
/// </summary>
internal static class KernelBpfProbes
{
    private const string KprobePmuType = "/sys/bus/event_source/devices/kprobe/type";
    private const string FtraceEnabled = "/proc/sys/kernel/ftrace_enabled";

    /// <summary>The LSM hook the BPF LSM probe attaches to: present in BTF exactly when CONFIG_BPF_LSM is on.</summary>
    public const string LsmHook = "bpf_lsm_file_open";

    /// <summary>The syscall function probed with kprobes (its symbol carries the architecture's prefix).</summary>
    public static string SyscallFunction => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "__arm64_sys_getpid" : "__x64_sys_getpid";

    /// <summary>
    /// Functions an fentry program may attach to, the first one in the kernel's BTF wins: pahole leaves out some
    /// functions (the syscall wrappers on some builds), and bpf_fentry_test1 exists for exactly this use.
    /// </summary>
    public static IReadOnlyList<string> FentryCandidates => [SyscallFunction, "__do_sys_getpid", "do_sys_openat2", "bpf_fentry_test1"];

    /// <summary><c>r0 = 0; exit</c>: a program that does nothing and lets every call through.</summary>
    private static readonly Instruction[] ReturnZero = [Instruction.MovImmediate(0, 0), Instruction.Exit()];

    /// <summary>Whether the kernel describes its own types (BTF), which fentry and LSM programs need.</summary>
    public static ProbeResult KernelBtf()
    {
        if (!File.Exists(VmlinuxBtf.DefaultPath))
        {
            return new(false, $"no {VmlinuxBtf.DefaultPath}: the kernel was built without CONFIG_DEBUG_INFO_BTF");
        }
        var btf = VmlinuxBtf.Read(VmlinuxBtf.DefaultPath, out string? error);
        if (btf is null) return new(false, $"{VmlinuxBtf.DefaultPath} is unusable: {error}");
        return new(true, string.Create(CultureInfo.InvariantCulture,
            $"BTF of {KernelRelease()} ({btf.Size / 1048576.0:0.0} MiB, {btf.TypeCount} types)"));
    }

    /// <summary>
    /// Whether BPF LSM programs can deny calls: <c>bpf</c> among the active LSMs, and an LSM program on
    /// <see cref="LsmHook"/> loads and attaches.
    /// </summary>
    public static ProbeResult BpfLsm()
    {
        string[]? lsms = SecurityFs.ActiveLsms(out string? note);
        bool active = lsms is not null && lsms.Contains("bpf", StringComparer.Ordinal);
        string lsmPart = lsms is null
            ? $"active LSMs unknown: {note}"
            : (note is null ? "" : note + "; ") + (active
                ? $"`bpf` is an active LSM ({string.Join(',', lsms)})"
                : $"`bpf` is not an active LSM ({string.Join(',', lsms)}): boot with lsm=...,bpf");

        var tried = LoadAndAttach("an LSM program", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, [LsmHook],
            missing: $"no {LsmHook} in the kernel's BTF: the kernel was built without CONFIG_BPF_LSM");
        return new(active && tried.Available, $"{lsmPart}; {tried.Detail}");
    }

    /// <summary>Whether fentry programs attach (BPF trampolines, which need ftrace's patchable function entries).</summary>
    public static ProbeResult Fentry() =>
        LoadAndAttach("an fentry program", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, FentryCandidates,
            missing: $"none of {string.Join(", ", FentryCandidates)} is in the kernel's BTF");

    /// <summary>Whether kprobes work: the kprobe PMU exists and a kprobe on a syscall function opens.</summary>
    public static ProbeResult Kprobes()
    {
        if (!TryKprobePmu(out int pmuType, out string? why)) return new(false, why!);
        using var kprobe = PerfEventOpenKprobe(pmuType, SyscallFunction, out int errno);
        if (kprobe.IsInvalid)
        {
            return new(false, errno is LibC.EPERM or LibC.EACCES
                ? $"opening a kprobe on {SyscallFunction} needs root (CAP_PERFMON): {KernelErrors.Describe(errno)}"
                : $"the kernel refused a kprobe on {SyscallFunction}: {KernelErrors.Describe(errno)}");
        }
        return new(true, $"opened a kprobe on {SyscallFunction} (kprobe PMU type {pmuType})");
    }

    /// <summary>
    /// Whether a kprobe program may call bpf_override_return (helper 58), which the verifier allows only with
    /// CONFIG_BPF_KPROBE_OVERRIDE. The program is loaded, not attached; it is usable only where kprobes are.
    /// </summary>
    public static ProbeResult KprobeOverride()
    {
        const int BpfFuncOverrideReturn = 58;
        // r1 holds the context (pt_regs) on entry: bpf_override_return(ctx, 0); return 0.
        Instruction[] program =
        [
            Instruction.MovImmediate(2, 0),
            Instruction.Call(BpfFuncOverrideReturn),
            Instruction.MovImmediate(0, 0),
            Instruction.Exit(),
        ];
        using var loaded = ProgLoad(BPF_PROG_TYPE_KPROBE, 0, 0, program, out int errno, out string log);
        if (loaded.IsInvalid)
        {
            string? reason = KernelErrors.VerifierReason(log);
            if (errno is LibC.EPERM or LibC.EACCES && reason is null) return new(false, Refused("a kprobe program", errno));
            // "unknown func" before 6.x, "program of this type cannot use helper" after: the helper is not compiled in.
            if (reason is not null && (reason.Contains("unknown func", StringComparison.Ordinal) || reason.Contains("cannot use helper", StringComparison.Ordinal)))
            {
                return new(false, $"the verifier refuses bpf_override_return (kernel without CONFIG_BPF_KPROBE_OVERRIDE): {reason}");
            }
            return new(false, Rejected("a kprobe program calling bpf_override_return", errno, reason));
        }
        if (!TryKprobePmu(out _, out string? why))
        {
            return new(false, $"the verifier accepts bpf_override_return (loaded, not attached), but {why}");
        }
        return new(true, "the verifier accepts bpf_override_return (a kprobe program calling it loaded; not attached)");
    }

    /// <summary>
    /// Loads a do-nothing program for the first of <paramref name="functions"/> in the kernel's BTF and attaches it;
    /// both are closed before returning.
    /// </summary>
    private static ProbeResult LoadAndAttach(string what, uint progType, uint attachType, IReadOnlyList<string> functions, string missing)
    {
        if (!File.Exists(VmlinuxBtf.DefaultPath))
        {
            return new(false, $"no kernel BTF ({VmlinuxBtf.DefaultPath}: CONFIG_DEBUG_INFO_BTF is off), which {what} needs to name its function");
        }
        var btf = VmlinuxBtf.Read(VmlinuxBtf.DefaultPath, out string? error);
        if (btf is null) return new(false, $"the kernel's BTF is unusable: {error}");
        var (function, btfId) = functions.Select(f => (f, btf.FindFunction(f))).FirstOrDefault(found => found.Item2 is not null);
        if (btfId is null) return new(false, missing);

        using var program = ProgLoad(progType, attachType, (uint)btfId.Value, ReturnZero, out int errno, out string log);
        if (program.IsInvalid)
        {
            string? reason = KernelErrors.VerifierReason(log);
            if (errno is LibC.EPERM or LibC.EACCES && reason is null) return new(false, Refused($"{what} on {function}", errno));
            return new(false, Rejected($"{what} on {function}", errno, reason));
        }
        using var link = AttachTracing(program, out errno);
        if (link.IsInvalid)
        {
            return new(false, $"{what} on {function} loaded, but attaching it failed: {KernelErrors.Describe(errno)}{FtraceHint()}");
        }
        return new(true, $"{what} on {function} (BTF id {btfId}) loaded and attached");
    }

    /// <summary>
    /// Why attaching may have failed, when the kernel shows it: BPF trampolines patch the nop that ftrace puts at
    /// each function's entry, so without ftrace (or with it switched off) nothing can attach.
    /// </summary>
    private static string FtraceHint()
    {
        if (!File.Exists(FtraceEnabled)) return $" ({FtraceEnabled} is absent: the kernel was built without CONFIG_FUNCTION_TRACER)";
        try
        {
            return File.ReadAllText(FtraceEnabled).Trim() == "0" ? $" (ftrace is switched off: {FtraceEnabled} is 0)" : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static bool TryKprobePmu(out int type, out string? why)
    {
        type = 0;
        why = null;
        string text;
        try
        {
            text = File.ReadAllText(KprobePmuType).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            why = $"there is no kprobe PMU ({KprobePmuType} is absent): the kernel was built without CONFIG_KPROBES";
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"cannot read {KprobePmuType}: {e.Message}";
            return false;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out type)) return true;
        why = $"{KprobePmuType} holds `{text}`, not a PMU type";
        return false;
    }

    /// <summary>
    /// An EPERM before the verifier ran: for want of privileges, or, when the thread has them, because something
    /// forbids this kind of program here (a security policy, or the kernel itself); the log is empty either way.
    /// </summary>
    private static string Refused(string what, int errno) => BpfPrivileges.CanLoadTracingPrograms() == false
        ? $"loading {what} needs root (CAP_BPF and CAP_PERFMON): {KernelErrors.Describe(errno)}"
        : $"the kernel refused {what} before verifying it, although this process has CAP_BPF and CAP_PERFMON: {KernelErrors.Describe(errno)}";

    private static string Rejected(string what, int errno, string? verifierReason) =>
        $"the kernel rejected {what}: {KernelErrors.Describe(errno)}" + (verifierReason is null ? "" : $": {verifierReason}");

    private static string KernelRelease()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "this kernel";
        }
    }
}
