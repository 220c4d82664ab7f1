using Phoebe.Runtime.Interop;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Profiles;
using Phoebe.Runtime.Tests.Run;
using PhoebeProcess = Phoebe.Runtime.Tests.Run.PhoebeCli;
using static Phoebe.Runtime.Tests.Monitoring.ObserveProcesses;

namespace Phoebe.Runtime.Tests.Monitoring;

/// <summary>
/// <c>phoebe observe</c> as a separate process on tests/targets/errloop: the profile's counts are exact and
/// <c>phoebe synthesize</c> accepts it.
/// </summary>
public sealed class ObserveTests
{
    private const int SIGUSR1 = 10;
    private static readonly TimeSpan Timeout = ObserveProcesses.Timeout;

    [SkippableFact]
    public void Observes_a_command_with_exact_counts_and_the_profile_synthesizes()
    {
        Ebpf.Require();
        const int N = 1500, M = 300, K = 77;
        using var scratch = new ScratchDirectory();
        string profilePath = scratch.File("profile.yaml");
        using var phoebe = PhoebeProcess.Start(["observe", "--interval", "200ms", "-o", profilePath, "--",
            TargetBuilder.Path("errloop"), N.ToString(), M.ToString(), K.ToString()]);
        // errloop waits for SIGUSR1 before its calls: release it once Phoebe observes it.
        string ready = phoebe.WaitForStdoutLine(l => l.StartsWith("ready ", StringComparison.Ordinal), Timeout);
        int pid = int.Parse(ready["ready ".Length..]);
        WaitFor(() => phoebe.StderrSoFar.Contains("phoebe: observing ", StringComparison.Ordinal), phoebe, "the monitor");
        Thread.Sleep(300); // at least one interval before the calls: the series then has a quiet interval too
        Assert.Equal(0, LibC.Kill(pid, SIGUSR1));
        var result = phoebe.WaitForExit(Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["ready " + pid, $"enoent {N}", $"opened {M}", $"ebadf {K}"], result.StdoutLines);

        var read = ProfileReader.ReadFile(profilePath);
        Assert.False(read.HasErrors, string.Join("\n", read.Diagnostics) + "\n" + File.ReadAllText(profilePath));
        var profile = read.Profile!;
        Assert.Equal(Profile.CurrentVersion, profile.Version);
        Assert.Equal("errloop", profile.Target);
        Assert.Equal(TimeSpan.FromMilliseconds(200), profile.Interval);
        Assert.True(profile.Intervals >= 2, $"{profile.Intervals} intervals");

        var enoent = Assert.Single(profile.Errors, e => e.Syscall == "openat" && e.Errno == "ENOENT");
        Assert.Equal(N, enoent.Count);
        var ebadf = Assert.Single(profile.Errors, e => e.Syscall == "close" && e.Errno == "EBADF");
        Assert.Equal(K, ebadf.Count);
        long openats = Assert.Single(profile.Syscalls, s => s.Name == "openat").Calls;
        long closes = Assert.Single(profile.Syscalls, s => s.Name == "close").Calls;
        Assert.InRange(openats, N + M, N + M + 20);
        Assert.InRange(closes, M + K, M + K + 20);
        foreach (var error in new[] { enoent, ebadf })
        {
            // One rate per interval in which the syscall was called; together they account for every error.
            Assert.NotNull(error.Series);
            Assert.All(error.Series!, r => Assert.InRange(r, 0.0, 1.0));
            Assert.Equal(RateStatistics.Summarize(error.Series!), error.Rate);
        }
        Assert.Contains(enoent.Series!, r => r > 0);

        var synthesized = PhoebeProcess.Run(["synthesize", "--format", "json", profilePath], timeout: Timeout);
        Assert.True(synthesized.ExitCode == 0, synthesized.ToString());
        Assert.Contains("\"openat\"", synthesized.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"ENOENT\"", synthesized.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Observes_a_pid_until_duration_and_writes_the_profile_to_stdout()
    {
        Ebpf.Require();
        using var sleeper = RunningProcess.Start(new ProcessSpec("sleep", ["30"]));
        var result = PhoebeProcess.Run(["observe", "-q", "--pid", sleeper.Id.ToString(), "--interval", "100ms", "--duration", "350ms"], timeout: Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        var read = ProfileReader.Read(new Phoebe.Lang.Syntax.SourceText("stdout", result.Stdout));
        Assert.False(read.HasErrors, result.Stdout);
        Assert.Equal("sleep", read.Profile!.Target);
        Assert.InRange(read.Profile.Intervals, 3, 5);
    }

    [Theory]
    [InlineData("observe")]
    [InlineData("observe --pid 1 --comm init")]
    [InlineData("observe --comm no-such-process-phoebe")]
    [InlineData("observe --interval soon --pid 1")]
    public void Usage_errors_exit_2(string args)
    {
        var result = PhoebeProcess.Run(args.Split(' '), timeout: Timeout);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("phoebe: ", result.Stderr, StringComparison.Ordinal);
    }
}
