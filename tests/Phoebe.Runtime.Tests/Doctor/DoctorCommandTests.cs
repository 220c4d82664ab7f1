using System.Text.Json;
using Phoebe.Runtime.Tests.Run;
using PhoebeProcess = Phoebe.Runtime.Tests.Run.PhoebeCli;

namespace Phoebe.Runtime.Tests.Doctor;

/// <summary>
/// <c>phoebe doctor</c> as a separate process: as root, as user nobody, with tracefs unmounted (in a mount
/// namespace of its own) and without a C compiler; the table, the JSON and the exit code.
/// </summary>
public sealed class DoctorCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static readonly string[] Mechanisms =
    [
        "privileges", "launcher", "ptrace (launched commands)", "ptrace (attach to running processes)", "seccomp filter (RET_ERRNO)",
        "seccomp user notification", "libbpf.so.1", "tracefs", "eBPF tracepoints", "kernel BTF", "BPF LSM", "fentry/fexit",
        "kprobes", "bpf_override_return", "C compiler (cc)", "Roslyn (HEALTH checks)",
    ];

    private static Dictionary<string, JsonElement> Checks(ProcessResult result)
    {
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt32());
        return json.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());
    }

    private static bool Available(Dictionary<string, JsonElement> checks, string name) => checks[name].GetProperty("available").GetBoolean();

    private static string Detail(Dictionary<string, JsonElement> checks, string name) => checks[name].GetProperty("detail").GetString()!;

    private static void SkipUnlessRoot() => Skip.If(Environment.UserName != "root", "the tests do not run as root");

    [SkippableFact]
    public void As_root_every_mechanism_is_tried_and_the_injection_ones_work()
    {
        SkipUnlessRoot();
        var result = PhoebeProcess.Run(["doctor", "--format", "json"], timeout: Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        var checks = Checks(result);
        Assert.Equal(Mechanisms, checks.Keys);
        foreach (var name in (string[])["launcher", "ptrace (launched commands)", "ptrace (attach to running processes)", "seccomp filter (RET_ERRNO)",
                     "seccomp user notification", "libbpf.so.1", "eBPF tracepoints", "C compiler (cc)", "Roslyn (HEALTH checks)"])
        {
            Assert.True(Available(checks, name), $"{name}: {Detail(checks, name)}");
        }
        Assert.StartsWith("tried: uname failed with EPERM (1 injection)", Detail(checks, "ptrace (launched commands)"), StringComparison.Ordinal);
        Assert.StartsWith("tried: the kernel failed uname with EPERM", Detail(checks, "seccomp filter (RET_ERRNO)"), StringComparison.Ordinal);
        Assert.Matches("^tried: loaded the monitor on raw_syscalls and counted [1-9][0-9]* calls", Detail(checks, "eBPF tracepoints"));
        Assert.Matches("^tried: first compile of a check took [0-9]+ ms", Detail(checks, "Roslyn (HEALTH checks)"));
        Assert.True(json(result).GetProperty("mainJobReady").GetBoolean());
        // Every available row was measured; a missing one says how to fix it.
        foreach (var (name, check) in checks)
        {
            if (!check.GetProperty("available").GetBoolean()) Assert.False(check.GetProperty("fix").ValueKind == JsonValueKind.Null && name != "bpf_override_return", $"{name} has no fix");
        }

        static JsonElement json(ProcessResult r) => JsonDocument.Parse(r.Stdout).RootElement.Clone();
    }

    [SkippableFact]
    public void As_nobody_ebpf_is_missing_with_its_reason_and_the_injection_mechanisms_still_work()
    {
        SkipUnlessRoot();
        string? setpriv = HostTools.Find("setpriv");
        Skip.If(setpriv is null, "setpriv (util-linux) is not installed: cannot drop privileges");
        var probe = RunningProcess.Run(new ProcessSpec(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r", PhoebeProcess.Dll]), Timeout);
        Skip.If(probe.ExitCode != 0, $"nobody cannot read {PhoebeProcess.Dll}");

        var table = RunningProcess.Run(new ProcessSpec(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
            PhoebeProcess.DotnetHost, PhoebeProcess.Dll, "doctor"]), Timeout);
        // Nothing the main job needs is missing: an experiment observes with ptrace when eBPF is unavailable.
        Assert.True(table.ExitCode == 0, table.ToString());
        var lines = table.StdoutLines;
        Assert.Matches(@"^privileges +no +uid 65534, no capabilities$", lines.Single(l => l.StartsWith("privileges ", StringComparison.Ordinal)));
        Assert.Matches(@"^ptrace \(launched commands\) +ok +tried: uname failed with EPERM", lines.Single(l => l.StartsWith("ptrace (launched", StringComparison.Ordinal)));
        Assert.Matches(@"^seccomp user notification +ok +tried:", lines.Single(l => l.StartsWith("seccomp user", StringComparison.Ordinal)));
        int ebpf = Array.FindIndex(lines, l => l.StartsWith("eBPF tracepoints ", StringComparison.Ordinal));
        Assert.Matches(@"^eBPF tracepoints +no +.*(CAP_BPF|CAP_SYS_ADMIN)", lines[ebpf]);
        Assert.Matches(@"^ +used for: observe \(eBPF backend\)", lines[ebpf + 1]);
        Assert.Matches(@"^ +fix: run as root, or with CAP_BPF and CAP_PERFMON; meanwhile: observe --backend ptrace$", lines[ebpf + 2]);
        Assert.Equal("The main job (phoebe experiment) can run here.", lines[^1]);
    }

    [SkippableFact]
    public void With_tracefs_unmounted_root_mounts_it_and_nobody_is_told_how()
    {
        SkipUnlessRoot();
        string? unshare = HostTools.Find("unshare");
        string? setpriv = HostTools.Find("setpriv");
        Skip.If(unshare is null || setpriv is null, "unshare and setpriv (util-linux) are needed for a mount namespace without tracefs");
        // A private mount namespace: unmounting tracefs there leaves the machine's alone.
        string Unmounted(string asUser) =>
            $"umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; grep -q ' tracefs ' /proc/self/mounts && exit 99; exec {asUser} \"$@\"";

        var root = RunningProcess.Run(new ProcessSpec(unshare, ["-m", "/bin/sh", "-c", Unmounted(""), "sh", PhoebeProcess.DotnetHost, PhoebeProcess.Dll, "doctor", "--format", "json"]), Timeout);
        Assert.True(root.ExitCode == 0, root.ToString());
        var checks = Checks(root);
        Assert.True(Available(checks, "tracefs"), Detail(checks, "tracefs"));
        Assert.Equal("was not mounted: mounted it at /sys/kernel/tracing (as observe does)", Detail(checks, "tracefs"));
        Assert.True(Available(checks, "eBPF tracepoints"), Detail(checks, "eBPF tracepoints"));

        string nobody = $"{setpriv} --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp DOTNET_CLI_HOME=/tmp";
        var user = RunningProcess.Run(new ProcessSpec(unshare, ["-m", "/bin/sh", "-c", Unmounted(nobody), "sh", PhoebeProcess.DotnetHost, PhoebeProcess.Dll, "doctor", "--format", "json"]), Timeout);
        Assert.True(user.ExitCode == 0, user.ToString());
        checks = Checks(user);
        Assert.False(Available(checks, "tracefs"));
        Assert.StartsWith("not mounted: tracefs is not mounted and mounting it needs CAP_SYS_ADMIN (or root)", Detail(checks, "tracefs"), StringComparison.Ordinal);
        Assert.Equal("as root: mount -t tracefs nodev /sys/kernel/tracing", checks["tracefs"].GetProperty("fix").GetString());
        Assert.False(Available(checks, "eBPF tracepoints"));
    }

    [SkippableFact]
    public void Without_a_c_compiler_the_main_job_cannot_run_and_doctor_exits_1()
    {
        SkipUnlessRoot();
        // A PATH with only what the probes run: no cc.
        using var dir = new ScratchDirectory();
        foreach (var tool in (string[])["sh", "uname", "sleep"])
        {
            string? path = HostTools.Find(tool);
            Skip.If(path is null, $"{tool} is not installed");
            File.CreateSymbolicLink(Path.Combine(dir.Path, tool), path);
        }
        var result = PhoebeProcess.Run(["doctor"], environment: new Dictionary<string, string> { ["PATH"] = dir.Path, ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/tmp" }, timeout: Timeout);
        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = result.StdoutLines;
        int cc = Array.FindIndex(lines, l => l.StartsWith("C compiler (cc) ", StringComparison.Ordinal));
        Assert.Matches(@"^C compiler \(cc\) +MISSING +no cc on PATH$", lines[cc]);
        Assert.Matches(@"^ +fix: apt-get install gcc libc6-dev$", lines[cc + 2]);
        Assert.Equal("The main job (phoebe experiment) cannot run here: C compiler (cc) missing.", lines[^1]);
    }
}
