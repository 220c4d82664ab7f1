using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Phoebe.Runtime.Interop;

namespace Phoebe.Runtime.Experiments;

/// <summary>A rule's counters, as the injector's control socket reports them.</summary>
public sealed record RuleCounters(string Name, bool Enabled, long Calls, long Injected);

/// <summary>
/// The target running under <c>phoebe run --control SOCKET --disabled</c>, a child process of the
/// orchestrator: rules are switched on and off and counted over the control socket. A separate process
/// because a ptrace tracer waits for any child of its process, and the orchestrator runs other children
/// (the load, health checks' processes) of its own.
/// </summary>
public sealed class InjectorProcess : IDisposable
{
    private const int SIGKILL = 9;

    private readonly Process process;
    private readonly Socket control;
    private readonly StreamReader reader;
    private readonly StreamWriter writer;
    private readonly object gate = new();
    private readonly string socketDirectory;
    private string injectionLog = "";
    private LogFile? output;

    private InjectorProcess(Process process, Socket control, string socketDirectory)
    {
        this.process = process;
        this.control = control;
        this.socketDirectory = socketDirectory;
        var stream = new NetworkStream(control, ownsSocket: false);
        reader = new StreamReader(stream, new UTF8Encoding(false));
        writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    /// <summary>The target's process id.</summary>
    public int TargetPid { get; private set; }

    /// <summary>True once the injector (and so the target) has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>The target's exit code as <c>phoebe run</c> returns it (128+N for signal N); null while it runs.</summary>
    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    /// <summary>
    /// Starts <paramref name="target"/> under <c>phoebe run</c> with <paramref name="ruleFiles"/> loaded and disabled,
    /// and connects to its control socket. Output of the target and of Phoebe goes to <paramref name="logPath"/>.
    /// </summary>
    /// <param name="phoebe">How to run Phoebe's CLI: the program and the arguments before the subcommand.</param>
    /// <param name="ruleFiles">The .phb files with every rule the experiments may enable.</param>
    /// <param name="profile">The profile for <c>observed.*</c>, if any.</param>
    /// <param name="seed">The seed of <c>chance()</c>.</param>
    /// <param name="target">The target's command.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <param name="environment">Variables added to its environment.</param>
    /// <param name="logPath">Where its output (and Phoebe's) goes; the injections go beside it, in JSON lines (<c>--log</c>).</param>
    /// <param name="timeout">How long Phoebe may take to start it.</param>
    /// <exception cref="ExperimentException">Phoebe or the target could not start.</exception>
    public static InjectorProcess Start(IReadOnlyList<string> phoebe, IReadOnlyList<string> ruleFiles, string? profile, ulong seed,
        IReadOnlyList<string> target, string workingDirectory, IReadOnlyDictionary<string, string> environment, string logPath, TimeSpan timeout)
    {
        string socketDirectory = Directory.CreateTempSubdirectory("phoebe-control-").FullName;
        string socketPath = Path.Combine(socketDirectory, "control.sock");
        var info = new ProcessStartInfo(phoebe[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in phoebe.Skip(1)) info.ArgumentList.Add(arg);
        foreach (var arg in (string[])["run", "-q", "--control", socketPath, "--disabled", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture)]) info.ArgumentList.Add(arg);
        string injections = Path.ChangeExtension(logPath, ".injections.jsonl");
        info.ArgumentList.Add("--log");
        info.ArgumentList.Add(injections);
        if (profile is not null)
        {
            info.ArgumentList.Add("--profile");
            info.ArgumentList.Add(profile);
        }
        foreach (var file in ruleFiles) info.ArgumentList.Add(file);
        info.ArgumentList.Add("--");
        foreach (var word in target) info.ArgumentList.Add(word);
        foreach (var (name, value) in environment) info.Environment[name] = value;

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new ExperimentException($"cannot start {phoebe[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(socketDirectory, true);
            throw new ExperimentException($"cannot start {phoebe[0]}: {e.Message}");
        }
        process.StandardInput.Close();
        var log = new LogFile(logPath);
        log.Pump(process.StandardOutput);
        log.Pump(process.StandardError);

        var deadline = DateTime.UtcNow + timeout;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(socketPath));
                break;
            }
            catch (SocketException) when (!process.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
            catch (SocketException)
            {
                socket.Dispose();
                if (!process.HasExited) Kill(process);
                process.WaitForExit();
                Directory.Delete(socketDirectory, true);
                log.Dispose();
                throw new ExperimentException($"the target did not start under Phoebe (exit {process.ExitCode}); its output is in {logPath}:\n" + log.Tail(10));
            }
        }
        var injector = new InjectorProcess(process, socket, socketDirectory) { injectionLog = injections, output = log };
        try
        {
            // The control socket listens before the target is launched: wait for its pid.
            while ((injector.TargetPid = injector.Stats().TargetPid) <= 0)
            {
                if (DateTime.UtcNow > deadline) throw new ExperimentException($"the target did not start under Phoebe within {timeout.TotalSeconds:0.#} s");
                Thread.Sleep(10);
            }
        }
        catch
        {
            injector.Dispose();
            throw;
        }
        return injector;
    }

    /// <summary>The target's pid and every rule's counters; throws <see cref="TargetGoneException"/> once the injector has gone.</summary>
    public (int TargetPid, IReadOnlyList<RuleCounters> Rules) Stats()
    {
        string reply = Send("stats");
        using var json = JsonDocument.Parse(reply);
        var rules = json.RootElement.GetProperty("rules").EnumerateArray()
            .Select(r => new RuleCounters(r.GetProperty("name").GetString()!, r.GetProperty("enabled").GetBoolean(),
                r.GetProperty("calls").GetInt64(), r.GetProperty("injected").GetInt64()))
            .ToArray();
        return (json.RootElement.GetProperty("targetPid").GetInt32(), rules);
    }

    /// <summary>
    /// How many injections of the rules named <paramref name="names"/> the injection log holds: it is written before the
    /// target sees each one, so it counts even the injection that crashed the target, after the control socket is gone.
    /// </summary>
    public long LoggedInjections(IReadOnlyCollection<string> names)
    {
        if (!File.Exists(injectionLog)) return 0;
        long count = 0;
        using var stream = new FileStream(injectionLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                if (json.RootElement.TryGetProperty("rule", out var rule) && names.Contains(rule.GetString() ?? "")) count++;
            }
            catch (JsonException)
            {
                // A line cut short by the crash.
            }
        }
        return count;
    }

    /// <summary>Enables the rules named <paramref name="names"/>.</summary>
    public void Enable(IEnumerable<string> names) => Expect("enable " + string.Join(' ', names));

    /// <summary>Disables the rules named <paramref name="names"/>.</summary>
    public void Disable(IEnumerable<string> names) => Expect("disable " + string.Join(' ', names));

    private void Expect(string command)
    {
        string reply = Send(command);
        if (reply != "ok") throw new ExperimentException($"the injector refused `{command}`: {reply}");
    }

    private string Send(string command)
    {
        lock (gate)
        {
            try
            {
                writer.WriteLine(command);
                return reader.ReadLine() ?? throw new TargetGoneException(ExitDescription());
            }
            catch (IOException)
            {
                throw new TargetGoneException(ExitDescription());
            }
        }
    }

    private string ExitDescription()
    {
        process.WaitForExit(1000);
        return process.HasExited ? Describe(process.ExitCode) : "the injector stopped answering";
    }

    /// <summary>How an exit code of <c>phoebe run</c> reads after "the target": "exited with 3", "was killed by SIGSEGV".</summary>
    public static string Describe(int exitCode) =>
        exitCode > 128 && exitCode < 128 + 65
            ? $"was killed by {Lang.Catalog.SignalCatalog.ByNumber(exitCode - 128)?.Name ?? "signal " + (exitCode - 128)}"
            : $"exited with {exitCode}";

    /// <summary>
    /// Stops the target: <paramref name="signal"/> to it, SIGKILL after <paramref name="timeout"/>, then the injector
    /// (which exits with the target). Returns the injector's exit code.
    /// </summary>
    public int Stop(int signal, TimeSpan timeout)
    {
        if (!process.HasExited && TargetPid > 0)
        {
            LibC.Kill(TargetPid, signal);
            if (!process.WaitForExit(timeout))
            {
                LibC.Kill(TargetPid, SIGKILL);
                if (!process.WaitForExit(TimeSpan.FromSeconds(5))) Kill(process);
            }
        }
        else if (!process.HasExited) Kill(process);
        process.WaitForExit();
        return process.ExitCode;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Kills everything still running and removes the control socket.</summary>
    public void Dispose()
    {
        if (!process.HasExited) Stop(SIGKILL, TimeSpan.FromSeconds(5));
        reader.Dispose();
        writer.Dispose();
        control.Dispose();
        process.Dispose();
        output?.Dispose();
        try
        {
            Directory.Delete(socketDirectory, true);
        }
        catch (IOException)
        {
            // A stale socket in /tmp is harmless.
        }
    }
}

/// <summary>A failure that stops a campaign: the target does not build, start or become ready.</summary>
public class ExperimentException(string message) : Exception(message);

/// <summary>The target (and its injector) went away while being talked to.</summary>
public sealed class TargetGoneException(string how) : ExperimentException($"the target {how}")
{
    /// <summary>How it went: "exited with 3", "was killed by SIGSEGV".</summary>
    public string How { get; } = how;
}

/// <summary>
/// Appends the lines of some streams to a file as they come, through one open writer flushed per line (the log
/// is readable while the process runs and complete if Phoebe dies); keeps the last lines for error messages.
/// </summary>
internal sealed class LogFile(string path) : IDisposable
{
    private readonly object gate = new();
    private readonly Queue<string> tail = new();
    private readonly List<Task> pumps = [];
    private StreamWriter? writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true, NewLine = "\n" };

    public void Pump(StreamReader stream)
    {
        pumps.Add(Task.Run(async () =>
        {
            while (await stream.ReadLineAsync() is { } line) Write(line);
        }));
    }

    public void Write(string line)
    {
        lock (gate)
        {
            writer?.WriteLine(line);
            tail.Enqueue(line);
            while (tail.Count > 50) tail.Dequeue();
        }
    }

    /// <summary>Waits (2 s at most) until the pumped streams have ended.</summary>
    public void Flush() => Task.WaitAll(pumps.ToArray(), TimeSpan.FromSeconds(2));

    public string Tail(int lines)
    {
        lock (gate) return string.Join('\n', tail.Skip(Math.Max(0, tail.Count - lines)));
    }

    /// <summary>Waits for the pumps, then closes the file; lines that come later are dropped.</summary>
    public void Dispose()
    {
        Flush();
        lock (gate)
        {
            writer?.Dispose();
            writer = null;
        }
    }
}
