using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;
using Phoebe.Runtime.Metrics;
using Phoebe.Runtime.Monitoring;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Cli;

/// <summary>
/// <c>phoebe observe (--pid PID | --comm NAME | -- COMMAND [ARGS...]) [--backend ebpf|ptrace] [--interval 15s] [--duration D] [-o PROFILE.yaml] [-q] [--metrics HOST:PORT]</c>:
/// counts the target's syscalls with the eBPF monitor (or with ptrace), one interval at a time, and writes a profile (docs/profile.md).
/// </summary>
internal static class ObserveCommand
{
    private const int SIGTERM = 15;

    /// <summary>What --backend ptrace costs, said once on stderr (measured on the development VMs: docs/profile.md).</summary>
    private const string PtraceWarning = "phoebe: warning: --backend ptrace stops the target at every syscall, twice per call " +
        "(20-200 µs per call on a VM, a few µs on bare metal): counts and rates are right, but the program runs far slower";

    public static Command Create(TextWriter stdout, TextWriter stderr, Func<IReadOnlyList<string>> targetCommand)
    {
        var pid = new Option<int?>("--pid", "-p") { Description = "Observe this process (and the children it forks from now on)" };
        var comm = new Option<string?>("--comm") { HelpName = "NAME", Description = "Observe every process whose name (/proc/PID/comm) is NAME" };
        var interval = new Option<string>("--interval", "-i") { HelpName = "D", Description = "The length of one interval, e.g. 15s or 200ms", DefaultValueFactory = _ => "15s" };
        var duration = new Option<string?>("--duration", "-d") { HelpName = "D", Description = "Stop after this long, e.g. 10m (default: until Ctrl-C, SIGTERM or the target's exit)" };
        var output = new Option<string?>("--output", "-o") { HelpName = "FILE", Description = "Write the profile to this file (default: stdout)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No live view or messages on stderr (errors only)" };
        var metrics = new Option<string?>("--metrics") { HelpName = "HOST:PORT", Description = "Serve Prometheus metrics at http://HOST:PORT/metrics while observing (docs/metrics.md)" };
        var backend = new Option<string>("--backend")
        {
            HelpName = "ebpf|ptrace",
            Description = "How to count: ebpf (root, or CAP_BPF and CAP_PERFMON; the target runs at full speed) or ptrace\n" +
                "(when eBPF is unavailable: the same counts, but the target stops twice per syscall and runs far slower)",
            DefaultValueFactory = _ => "ebpf",
        };
        var command = new Command("observe", "Observe a program's syscalls and natural errors with eBPF (or ptrace: --backend ptrace) and write a\n" +
            "profile (docs/profile.md) for `phoebe synthesize`. Give exactly one of --pid, --comm or `-- COMMAND [ARGS...]`.\n" +
            "Observing stops at Ctrl-C, SIGTERM, --duration or when the observed processes have exited; the profile is written then.\n" +
            "Exit code: with a COMMAND, the command's (128+N when signal N killed it); otherwise 0; 125 when Phoebe fails\n" +
            "(e.g. eBPF is unavailable: --backend ptrace works without it); 2 for usage errors.")
        {
            pid, comm, backend, interval, duration, output, quiet, metrics,
        };
        command.SetAction(parse => Run(parse.GetValue(pid), parse.GetValue(comm), targetCommand(), parse.GetValue(backend)!, parse.GetValue(interval)!,
            parse.GetValue(duration), parse.GetValue(output), parse.GetValue(quiet), parse.GetValue(metrics), stdout, stderr));
        return command;
    }

    private static bool TryDuration(string option, string text, TextWriter stderr, out TimeSpan value)
    {
        value = default;
        if (!LiteralDecoder.TryParseDuration(text, out long ns) || ns < 1_000_000 || !char.IsAsciiLetter(text[^1]))
        {
            stderr.WriteLine($"phoebe: {option} needs a duration of at least 1ms such as 15s or 200ms, not `{text}`");
            return false;
        }
        value = TimeSpan.FromTicks(ns / 100);
        return true;
    }

    private static int Run(int? pid, string? comm, IReadOnlyList<string> target, string backend, string intervalText, string? durationText,
        string? output, bool quiet, string? metricsText, TextWriter stdout, TextWriter stderr)
    {
        if (backend is not ("ebpf" or "ptrace"))
        {
            stderr.WriteLine($"phoebe: --backend is ebpf or ptrace, not `{backend}`");
            return ExitCodes.Usage;
        }
        bool ptrace = backend == "ptrace";
        int given = (pid is null ? 0 : 1) + (comm is null ? 0 : 1) + (target.Count == 0 ? 0 : 1);
        if (given != 1)
        {
            stderr.WriteLine(given == 0
                ? "phoebe: observe needs a target: --pid PID, --comm NAME or -- COMMAND [ARGS...]"
                : "phoebe: give only one of --pid, --comm and -- COMMAND");
            return ExitCodes.Usage;
        }
        if (!TryDuration("--interval", intervalText, stderr, out var interval)) return ExitCodes.Usage;
        TimeSpan? duration = null;
        if (durationText != null)
        {
            if (!TryDuration("--duration", durationText, stderr, out var d)) return ExitCodes.Usage;
            duration = d;
        }
        if (pid is <= 0)
        {
            stderr.WriteLine($"phoebe: --pid needs a process id, not {pid}");
            return ExitCodes.Usage;
        }
        if (output != null && Directory.Exists(output))
        {
            stderr.WriteLine($"phoebe: cannot write {output}: is a directory");
            return ExitCodes.Usage;
        }
        System.Net.IPEndPoint? metricsAt = null;
        if (metricsText != null)
        {
            metricsAt = MetricsServer.ParseEndpoint(metricsText, out string metricsError);
            if (metricsAt is null)
            {
                stderr.WriteLine("phoebe: " + metricsError);
                return ExitCodes.Usage;
            }
        }

        // The processes to observe.
        List<int> roots;
        if (pid is int p)
        {
            if (!ObservationTargets.IsAlive(p))
            {
                stderr.WriteLine($"phoebe: no process {p}");
                return ExitCodes.Usage;
            }
            roots = [p];
        }
        else if (comm != null)
        {
            roots = [.. ObservationTargets.FindByComm(comm)];
            if (roots.Count == 0)
            {
                stderr.WriteLine($"phoebe: no process is named `{comm}` (/proc/PID/comm)");
                return ExitCodes.Usage;
            }
        }
        else
        {
            roots = [];
        }

        // Listen before anything starts, so a taken port stops Phoebe before the target runs.
        var metrics = metricsAt is null ? null : new ObservationMetrics();
        MetricsServer? server = null;
        if (metricsAt != null)
        {
            try
            {
                server = MetricsServer.Start(metricsAt, metrics!.Render);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                stderr.WriteLine($"phoebe: cannot serve metrics on {metricsText}: {e.Message}");
                return RunCommand.PhoebeFailed;
            }
        }
        using var serving = server;

        if (ptrace && !quiet) stderr.WriteLine(PtraceWarning);
        ISyscallSource monitor;
        // With ptrace the tracer thread reaps the command (a waitpid of ours would take its stops).
        PtraceSyscallMonitor? tracer = null;
        Func<int?> reapChild = () => null;
        int? child = null;
        string targetName;
        try
        {
            if (ptrace && target.Count == 0)
            {
                monitor = tracer = PtraceSyscallMonitor.Attach(roots);
                targetName = comm ?? ObservationTargets.Comm(roots[0]) ?? roots[0].ToString(CultureInfo.InvariantCulture);
            }
            else if (ptrace)
            {
                // The launcher is traced before it execs the command: nothing the command does is missed.
                monitor = tracer = PtraceSyscallMonitor.Launch(new LaunchSpec(target[0], target.Skip(1).ToArray()));
                child = tracer.RootPid;
                roots = [tracer.RootPid];
                var launched = tracer;
                reapChild = () => launched.ExitCode;
                targetName = Path.GetFileName(target[0]);
            }
            else if (target.Count == 0)
            {
                var ebpf = SyscallMonitor.Start(roots[0]);
                monitor = ebpf;
                foreach (int other in roots.Skip(1)) ebpf.AddProcess(other);
                targetName = comm ?? ObservationTargets.Comm(roots[0]) ?? roots[0].ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                // Load the monitor before the command exists, on a placeholder that only sleeps (its sleep,
                // running when the monitor starts, is never counted), then add the command right after
                // posix_spawn returns. The only calls missed are those the command makes between its exec
                // and AddProcess: the first few of the dynamic loader, at most.
                if (ObservationTargets.Spawn(["sleep", "infinity"], out int placeholder) != 0)
                {
                    stderr.WriteLine("phoebe: cannot start a placeholder process (sleep infinity)");
                    return RunCommand.PhoebeFailed;
                }
                // Its startup calls must be over before the monitor starts: wait until it sleeps.
                for (int i = 0; i < 1000 && ObservationTargets.State(placeholder) != 'S'; i++) Thread.Sleep(1);
                SyscallMonitor ebpf;
                try
                {
                    ebpf = SyscallMonitor.Start(placeholder);
                }
                finally
                {
                    ObservationTargets.Signal(placeholder, 9);
                    while (ObservationTargets.TryReap(placeholder) is null) Thread.Sleep(1);
                }
                int rc = ObservationTargets.Spawn(target, out int spawned);
                if (rc != 0)
                {
                    ebpf.Dispose();
                    stderr.WriteLine($"phoebe: cannot run {target[0]}: {ObservationTargets.Describe(rc)}");
                    return rc == 2 ? 127 : 126;
                }
                try
                {
                    ebpf.AddProcess(spawned);
                }
                catch (MonitorUnavailableException)
                {
                    ObservationTargets.Signal(spawned, 9);
                    while (ObservationTargets.TryReap(spawned) is null) Thread.Sleep(1);
                    ebpf.Dispose();
                    throw;
                }
                monitor = ebpf;
                child = spawned;
                reapChild = () => ObservationTargets.TryReap(spawned);
                roots = [spawned];
                // Not /proc/PID/comm: right after the spawn it may still name the pre-exec image.
                targetName = Path.GetFileName(target[0]);
            }
        }
        catch (MonitorUnavailableException e)
        {
            stderr.WriteLine($"phoebe: cannot observe: {e.Message}");
            stderr.WriteLine("hint: use --backend ptrace to observe with ptrace instead (slower)");
            stderr.WriteLine(DoctorCommand.Hint);
            return RunCommand.PhoebeFailed;
        }
        catch (InjectionException e)
        {
            stderr.WriteLine($"phoebe: cannot observe: {e.Message}");
            if (e.MissingCapability) stderr.WriteLine(DoctorCommand.Hint);
            return RunCommand.PhoebeFailed;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"phoebe: cannot observe: {e.Message}");
            return ExitCodes.Usage;
        }

        // Disposed last: a traced command that got Ctrl-C or SIGTERM exits traced, if it does in its moment.
        using var owned = monitor;
        var observation = new Observation(interval);
        using var stop = new ManualResetEventSlim();
        int? childExit = null;
        string why;
        var clock = Stopwatch.StartNew();
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Set(); }))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            if (child is int c) ObservationTargets.Signal(c, SIGTERM);
            stop.Set();
        }))
        {
            if (!quiet)
            {
                stderr.WriteLine($"phoebe: observing {string.Join(", ", roots)} ({targetName}) every {ProfileWriterDuration(interval)}" +
                    (duration is { } d ? $" for {ProfileWriterDuration(d)}" : child is null ? "; Ctrl-C stops" : "; until it exits or Ctrl-C"));
                if (server != null) stderr.WriteLine($"phoebe: metrics at http://{metricsText}/metrics");
            }
            TimeSpan nextTick = interval;
            TimeSpan lastCollect = TimeSpan.Zero;
            while (true)
            {
                // Wait for the end of the interval, a signal, the duration, or the end of the observed processes.
                TimeSpan now = clock.Elapsed;
                TimeSpan until = nextTick;
                if (duration is { } limit && limit < until) until = limit;
                TimeSpan wait = until - now;
                TimeSpan poll = TimeSpan.FromMilliseconds(child is null ? 100 : 10);
                bool ended = false;
                if (stop.Wait(wait < poll ? (wait < TimeSpan.Zero ? TimeSpan.Zero : wait) : poll))
                {
                    why = "interrupted";
                    ended = true;
                }
                else if (child is not null && reapChild() is int code)
                {
                    // The launcher could not run the command and said why: no profile, its exit code.
                    if (tracer is { CommandStarted: false }) return code;
                    childExit = code;
                    why = $"{targetName} exited with {code}";
                    ended = true;
                }
                else if (tracer is { HasEnded: true, Failure: not null })
                {
                    why = "the tracer failed";
                    ended = true;
                }
                else if (child is null && !roots.Any(ObservationTargets.IsAlive))
                {
                    why = roots.Count == 1 ? $"process {roots[0]} exited" : "the observed processes exited";
                    ended = true;
                }
                else if (duration is { } dd && clock.Elapsed >= dd)
                {
                    why = $"observed for {ProfileWriterDuration(dd)}";
                    ended = true;
                }
                else
                {
                    why = "";
                }

                if (ended || clock.Elapsed >= nextTick)
                {
                    var counts = monitor.Collect();
                    // A last, partial interval counts when something happened in it (or when it is the only one).
                    if (!ended || counts.Counters.Count > 0 || observation.Intervals == 0)
                    {
                        var seen = observation.Add(counts);
                        metrics?.Add(counts);
                        if (!quiet) Render(stderr, seen, clock.Elapsed, clock.Elapsed - lastCollect);
                    }
                    lastCollect = clock.Elapsed;
                    while (nextTick <= clock.Elapsed) nextTick += interval;
                }
                if (ended) break;
            }
        }

        var profile = observation.ToProfile(targetName);
        if (!quiet)
        {
            stderr.WriteLine($"phoebe: {why} after {clock.Elapsed.TotalSeconds:0.000} s: {observation.Intervals} interval{(observation.Intervals == 1 ? "" : "s")}, " +
                $"{profile.Syscalls.Count} syscall{(profile.Syscalls.Count == 1 ? "" : "s")}, {profile.Errors.Count} kind{(profile.Errors.Count == 1 ? "" : "s")} of error" +
                (output is null ? "" : $"; wrote {output}"));
        }
        if (observation.Unnamed > 0) stderr.WriteLine($"phoebe: warning: {observation.Unnamed} calls left out: their syscall or errno number has no name in Phoebe's catalog");
        if (observation.Uncounted > 0) stderr.WriteLine($"phoebe: warning: {observation.Uncounted} calls were not counted: the monitor's kernel maps were full");
        if (observation.Unfollowed > 0) stderr.WriteLine($"phoebe: warning: {observation.Unfollowed} forked processes were not followed: the monitor's process map was full");

        int written = WriteProfile(profile, output, stdout, stderr);
        if (written != ExitCodes.Ok) return written;
        if (tracer?.Failure is { } failure)
        {
            stderr.WriteLine($"phoebe: observing with ptrace failed: {failure.GetBaseException().Message}");
            return RunCommand.PhoebeFailed;
        }
        if (child is int running && childExit is null)
        {
            // Stopped by a signal while the command runs: Ctrl-C reached it too (SIGTERM was passed on); give it a moment.
            for (int i = 0; i < 200 && childExit is null; i++)
            {
                childExit = reapChild();
                if (childExit is null) Thread.Sleep(10);
            }
            if (childExit is null)
            {
                // With ptrace, disposing the tracer detaches from it.
                stderr.WriteLine($"phoebe: {targetName} ({running}) is still running; no longer observed");
                return 130;
            }
        }
        return childExit ?? ExitCodes.Ok;
    }

    private static int WriteProfile(Profile profile, string? output, TextWriter stdout, TextWriter stderr)
    {
        if (output is null)
        {
            ProfileWriter.Write(profile, stdout);
            stdout.Flush();
            return ExitCodes.Ok;
        }
        try
        {
            File.WriteAllText(output, ProfileWriter.ToYaml(profile));
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phoebe: cannot write {output}: {e.Message}");
            return RunCommand.PhoebeFailed;
        }
    }

    private static string ProfileWriterDuration(TimeSpan t) => Lang.Semantics.Value.FormatDuration(t.Ticks * 100);

    /// <summary>The live view: elapsed time, the ten busiest syscalls with calls/s, every error with its rate.</summary>
    private static void Render(TextWriter stderr, ObservationInterval seen, TimeSpan elapsed, TimeSpan length)
    {
        var text = new System.Text.StringBuilder();
        double seconds = Math.Max(length.TotalSeconds, 0.001);
        text.Append(CultureInfo.InvariantCulture, $"--- interval {seen.Index}, {elapsed.TotalSeconds:0.0} s elapsed\n");
        if (seen.Calls.Count == 0) text.Append("  no syscalls\n");
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"  {"syscall",-20} {"calls/s",12}\n");
            foreach (var c in seen.Calls.Take(10))
                text.Append(CultureInfo.InvariantCulture, $"  {c.Syscall,-20} {c.Calls / seconds,12:0.0}\n");
            if (seen.Calls.Count > 10) text.Append(CultureInfo.InvariantCulture, $"  ({seen.Calls.Count - 10} more)\n");
        }
        if (seen.Errors.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {"error",-32} {"rate",8} {"errors",10} {"calls",10}\n");
            foreach (var e in seen.Errors)
                text.Append(CultureInfo.InvariantCulture, $"  {e.Syscall + " " + e.Errno,-32} {e.Rate,8:0.0000} {e.Count,10} {e.Calls,10}\n");
        }
        stderr.Write(text.ToString());
        stderr.Flush();
    }
}
