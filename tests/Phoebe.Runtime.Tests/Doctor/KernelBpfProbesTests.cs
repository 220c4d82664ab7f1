using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Phoebe.Runtime.Doctor;
using Phoebe.Runtime.Tests.Run;
using Xunit.Abstractions;

namespace Phoebe.Runtime.Tests.Doctor;

/// <summary>Alone, so that counting this process's BPF and perf file descriptors sees only the probes'.</summary>
[CollectionDefinition(nameof(KernelBpfProbesTests), DisableParallelization = true)]
public sealed class KernelBpfProbesCollection;

/// <summary>
/// The kernel-BPF probes against what the machine says by other means: the kernel's build options
/// (/proc/config.gz), the active LSM list, the thread's capabilities. A probe may find less than the build options
/// promise (a policy can forbid what was built), never more.
/// </summary>
[Collection(nameof(KernelBpfProbesTests))]
public sealed partial class KernelBpfProbesTests(ITestOutputHelper output)
{
    private static readonly (string Name, Func<ProbeResult> Run)[] All =
    [
        ("KernelBtf", KernelBpfProbes.KernelBtf),
        ("BpfLsm", KernelBpfProbes.BpfLsm),
        ("Fentry", KernelBpfProbes.Fentry),
        ("Kprobes", KernelBpfProbes.Kprobes),
        ("KprobeOverride", KernelBpfProbes.KprobeOverride),
    ];

    [GeneratedRegex(@"\bE[A-Z0-9]+ \(")]
    private static partial Regex ErrnoName();

    [Fact]
    public void Kernel_BTF_is_found_exactly_when_the_kernel_exposes_it()
    {
        var result = KernelBpfProbes.KernelBtf();
        Assert.Equal(File.Exists(VmlinuxBtf.DefaultPath), result.Available);
        if (result.Available)
        {
            string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            Assert.Matches($@"^BTF of {Regex.Escape(release)} \(\d+\.\d MiB, \d+ types\)$", result.Detail);
        }
    }

    [SkippableFact]
    public void No_probe_finds_what_the_kernel_was_built_without()
    {
        var config = KernelConfig.Read();
        Skip.If(config is null, "neither /proc/config.gz nor /boot/config-RELEASE says how the kernel was built");

        if (!config.IsOn("CONFIG_DEBUG_INFO_BTF")) Assert.False(KernelBpfProbes.KernelBtf().Available);
        if (!config.IsOn("CONFIG_KPROBES"))
        {
            var kprobes = KernelBpfProbes.Kprobes();
            Assert.False(kprobes.Available);
            Assert.Contains("no kprobe PMU", kprobes.Detail);
        }
        if (!config.IsOn("CONFIG_BPF_KPROBE_OVERRIDE"))
        {
            var overrideReturn = KernelBpfProbes.KprobeOverride();
            Assert.False(overrideReturn.Available);
            Assert.Contains("bpf_override_return", overrideReturn.Detail);
        }
        if (!config.IsOn("CONFIG_BPF_LSM"))
        {
            var lsm = KernelBpfProbes.BpfLsm();
            Assert.False(lsm.Available);
            Assert.Contains("CONFIG_BPF_LSM", lsm.Detail);
        }
        // fentry and the BPF LSM attach through BPF trampolines, which ftrace's direct calls install.
        if (!config.IsOn("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"))
        {
            Assert.False(KernelBpfProbes.Fentry().Available);
            Assert.False(KernelBpfProbes.BpfLsm().Available);
        }
    }

    [Fact]
    public void Every_unavailable_probe_names_its_cause()
    {
        foreach (var (name, run) in All)
        {
            var result = run();
            output.WriteLine($"{name}: {(result.Available ? "available" : "unavailable")}: {result.Detail}");
            Assert.DoesNotContain('\n', result.Detail);
            if (result.Available) continue;
            // The cause is the kernel's answer (an errno, a verifier message) or a missing piece named as such.
            bool named = ErrnoName().IsMatch(result.Detail) || result.Detail.Contains("CONFIG_", StringComparison.Ordinal)
                || result.Detail.Contains("not an active LSM", StringComparison.Ordinal);
            Assert.True(named, $"{name}: {result.Detail}");
        }
    }

    [SkippableFact]
    public void The_BPF_LSM_is_available_only_where_bpf_is_an_active_LSM()
    {
        var result = KernelBpfProbes.BpfLsm();
        const string List = "/sys/kernel/security/lsm"; // the probe has mounted securityfs if it could
        Skip.If(!File.Exists(List), $"{List} is absent: {result.Detail}");
        string[] active = File.ReadAllText(List).Trim().Split(',');
        if (!active.Contains("bpf"))
        {
            Assert.False(result.Available);
            Assert.Contains("`bpf` is not an active LSM", result.Detail);
        }
        else
        {
            Assert.Contains("`bpf` is an active LSM", result.Detail);
        }
    }

    [SkippableFact]
    public void With_privileges_no_refusal_is_blamed_on_privileges()
    {
        Skip.If(BpfPrivileges.CanLoadTracingPrograms() != true, "this process lacks CAP_BPF and CAP_PERFMON");
        foreach (var (name, run) in All)
        {
            string detail = run().Detail;
            Assert.False(detail.Contains("needs root", StringComparison.Ordinal), $"{name}: {detail}");
        }
    }

    [SkippableFact]
    public void Without_privileges_the_BPF_probes_say_they_need_root()
    {
        Skip.If(Environment.UserName != "root", "the tests do not run as root: cannot switch a thread to nobody");
        var results = new Dictionary<string, ProbeResult>();
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                AsNobody(() =>
                {
                    Assert.False(BpfPrivileges.CanLoadTracingPrograms());
                    foreach (var (name, run) in All) results[name] = run();
                });
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        foreach (var (name, result) in results) output.WriteLine($"as nobody, {name}: {result.Detail}");

        Assert.Equal(File.Exists(VmlinuxBtf.DefaultPath), results["KernelBtf"].Available); // 0444: anyone may read it
        foreach (var name in new[] { "Fentry", "BpfLsm", "KprobeOverride" })
        {
            Assert.False(results[name].Available);
            // Unless the kernel lacks the mechanism altogether, the refusal is for want of privileges.
            if (!results[name].Detail.Contains("CONFIG_", StringComparison.Ordinal)) Assert.Contains("needs root (CAP_BPF and CAP_PERFMON): EPERM", results[name].Detail);
        }
        Assert.False(results["Kprobes"].Available);
    }

    [Fact]
    public void The_probes_are_fast_and_close_all_they_open()
    {
        int before = KernelObjectFds();
        var clock = Stopwatch.StartNew();
        foreach (var (_, run) in All) run();
        clock.Stop();
        Assert.Equal(before, KernelObjectFds());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"the five probes took {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    /// <summary>This process's file descriptors for BPF programs and links and perf events.</summary>
    private static int KernelObjectFds() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(fd =>
        {
            try
            {
                return fd.LinkTarget is { } target && (target.StartsWith("anon_inode:bpf", StringComparison.Ordinal) || target.Contains("perf_event", StringComparison.Ordinal));
            }
            catch (IOException)
            {
                return false; // closed while enumerating
            }
        });

    // Credentials are per thread in the kernel; glibc's setresuid changes every thread, the raw system call only
    // the caller. Keeping saved uid 0 lets the thread become root again.
    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long SetResUid(long number, long ruid, long euid, long suid);

    private static readonly long SysSetResUid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 147 : 117;

    /// <summary>Runs <paramref name="action"/> on this thread as uid 65534 (nobody), with no effective capabilities.</summary>
    private static void AsNobody(Action action)
    {
        const int Nobody = 65534;
        Assert.Equal(0, SetResUid(SysSetResUid, Nobody, Nobody, 0));
        try
        {
            action();
        }
        finally
        {
            Assert.Equal(0, SetResUid(SysSetResUid, 0, 0, 0));
        }
    }
}
