using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Phoebe.Runtime.Interop;
using static Phoebe.Runtime.Interop.LibC;

namespace Phoebe.Runtime.Injection;

/// <summary>A command to launch under injection.</summary>
public sealed record LaunchSpec(string Program, IReadOnlyList<string> Arguments);

/// <summary>A user-facing failure to start or trace a target (no stack trace is shown).</summary>
public sealed class InjectionException(string message) : Exception(message);

/// <summary>
/// Launches a target through the native launcher and traces it and everything it
/// creates from one dedicated tracer thread (ptrace requires that all requests
/// for a tracee come from the thread that seized it). The seccomp filter makes
/// only the rules' syscalls stop; everything else runs at native speed.
/// </summary>
public sealed class PtraceSession
{
    private const int TraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE
        | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

    private readonly InjectionEngine engine;
    private readonly ConcurrentDictionary<int, byte> liveTids = new();
    private readonly Dictionary<int, ThreadState> threads = new();
    private readonly PriorityQueue<PendingResume, long> delayed = new();
    private volatile bool killRequested;
    private int rootPid;

    /// <summary>Creates a session for an engine.</summary>
    public PtraceSession(InjectionEngine engine)
    {
        this.engine = engine;
    }

    /// <summary>The launched process's pid, once started.</summary>
    public int RootPid => rootPid;

    /// <summary>
    /// Kills every traced process (from any thread): a launched target never outlives
    /// Phoebe. The tracer then sees them exit and <see cref="Run"/> returns.
    /// </summary>
    public void KillAll()
    {
        killRequested = true;
        foreach (var tid in liveTids.Keys) Kill(tid, SIGKILL);
    }

    /// <summary>
    /// Runs <paramref name="spec"/> to completion and returns its exit code
    /// (128 + signal when a signal killed it). Throws <see cref="InjectionException"/>
    /// when the target cannot be started or traced.
    /// </summary>
    public int Run(LaunchSpec spec)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new InjectionException($"injection supports x86_64 only for now (this is {RuntimeInformation.ProcessArchitecture})");
        }
        int exitCode = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                exitCode = TraceLoop(spec);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, 16 * 1024 * 1024)
        {
            Name = "phoebe-tracer",
            IsBackground = true,
        };
        thread.Start();
        thread.Join();
        if (failure is InjectionException) throw failure;
        if (failure != null) throw new InvalidOperationException("the tracer failed", failure);
        return exitCode;
    }

    private int TraceLoop(LaunchSpec spec)
    {
        string launcher = FindLauncher();
        string filterFile = Path.Combine(Path.GetTempPath(), $"phoebe-filter-{Environment.ProcessId}-{Guid.NewGuid():N}.bpf");
        File.WriteAllBytes(filterFile, SeccompFilterBuilder.Serialize(SeccompFilterBuilder.Build(engine.FilterActions())));
        File.SetUnixFileMode(filterFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var argv = new List<string> { launcher, "--filter", filterFile, "--", spec.Program };
        argv.AddRange(spec.Arguments);
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToList();
        int rc = Spawn(launcher, argv, env, out int pid);
        if (rc != 0)
        {
            File.Delete(filterFile);
            throw new InjectionException($"cannot start the launcher {launcher}: {StrError(rc)}");
        }
        rootPid = pid;
        if (Ptrace(PTRACE_SEIZE, pid, IntPtr.Zero, TraceOptions) == -1)
        {
            int errno = LastErrno;
            // The launcher exits at once when the program cannot be run (127/126, with its own
            // message); it is then a zombie and cannot be seized: its exit code is the answer.
            if (WaitPid(pid, out int early, WNOHANG) == pid && WIfExited(early))
            {
                if (File.Exists(filterFile)) File.Delete(filterFile);
                return WExitStatus(early);
            }
            Kill(pid, SIGKILL);
            WaitPid(pid, out _, 0);
            if (File.Exists(filterFile)) File.Delete(filterFile);
            throw new InjectionException(errno == EPERM
                ? "not permitted to trace the target: ptrace needs CAP_SYS_PTRACE or a permissive kernel.yama.ptrace_scope"
                : $"cannot trace the target: {StrError(errno)}");
        }
        liveTids[pid] = 0;
        threads[pid] = new ThreadState(pid);

        int rootStatus = 0;
        while (true)
        {
            ResumeDue();
            int flags = __WALL | (delayed.Count > 0 ? WNOHANG : 0);
            int tid = WaitPid(-1, out int status, flags);
            if (tid == 0)
            {
                Thread.Sleep(1);
                continue;
            }
            if (tid < 0)
            {
                int errno = LastErrno;
                if (errno == EINTR) continue;
                if (errno == ECHILD) break;
                throw new InjectionException($"waitpid failed: {StrError(errno)}");
            }
            if (WIfExited(status) || WIfSignaled(status))
            {
                threads.Remove(tid);
                liveTids.TryRemove(tid, out _);
                if (tid == rootPid) rootStatus = status;
                continue;
            }
            if (!WIfStopped(status)) continue;
            if (!threads.ContainsKey(tid))
            {
                threads[tid] = new ThreadState(tid);
                liveTids[tid] = 0;
            }
            if (killRequested)
            {
                Kill(tid, SIGKILL);
                continue;
            }
            HandleStop(tid, status);
        }
        if (File.Exists(filterFile)) File.Delete(filterFile);
        return WIfExited(rootStatus) ? WExitStatus(rootStatus) : 128 + WTermSig(rootStatus);
    }

    private void HandleStop(int tid, int status)
    {
        int sig = WStopSig(status);
        int ev = PtraceEvent(status);
        var state = threads[tid];
        if (sig == SIGTRAP && ev == PTRACE_EVENT_SECCOMP)
        {
            OnSeccompStop(tid, state);
            return;
        }
        if (sig == (SIGTRAP | 0x80))
        {
            OnSyscallExit(tid, state);
            return;
        }
        if (sig == SIGTRAP && ev is PTRACE_EVENT_FORK or PTRACE_EVENT_VFORK or PTRACE_EVENT_CLONE)
        {
            if (GetEventMessage(tid, out ulong child))
            {
                int c = (int)child;
                if (!threads.ContainsKey(c)) threads[c] = new ThreadState(c);
                liveTids[c] = 0;
            }
            Resume(tid, PTRACE_CONT, 0);
            return;
        }
        if (sig == SIGTRAP && ev is PTRACE_EVENT_EXEC or PTRACE_EVENT_VFORK_DONE or PTRACE_EVENT_EXIT)
        {
            state.Tgid = 0; // re-read: exec may change the thread's identity
            Resume(tid, PTRACE_CONT, 0);
            return;
        }
        if (ev == PTRACE_EVENT_STOP)
        {
            // Group-stop (SIGSTOP and friends): stay stopped until SIGCONT, as without Phoebe.
            if (sig is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU) Ptrace(PTRACE_LISTEN, tid, IntPtr.Zero, IntPtr.Zero);
            else Resume(tid, PTRACE_CONT, 0);
            return;
        }
        // A signal for the tracee: deliver it.
        Resume(tid, PTRACE_CONT, sig);
    }

    private void OnSeccompStop(int tid, ThreadState state)
    {
        if (!GetRegs(tid, out var regs))
        {
            Resume(tid, PTRACE_CONT, 0);
            return;
        }
        int nr = (int)regs.OrigRax;
        var call = new TraceeCall(state.GetTgid(), tid, regs, engine.SyscallOf(nr), retval: null);
        var decision = engine.OnEntry(nr, call);
        if (decision.Return is { } value)
        {
            // Skip the syscall (number -1) and make it return the value.
            regs.OrigRax = ulong.MaxValue;
            regs.Rax = (ulong)value;
            SetRegs(tid, regs);
        }
        SendSignals(call, decision.Signals);
        int request = PTRACE_CONT;
        if (decision.WantExit)
        {
            state.PendingExit = nr;
            state.EntryRegs = regs;
            request = PTRACE_SYSCALL;
        }
        Schedule(tid, request, decision.DelayNanoseconds);
    }

    private void OnSyscallExit(int tid, ThreadState state)
    {
        int nr = state.PendingExit;
        state.PendingExit = -1;
        if (nr < 0 || !GetRegs(tid, out var regs))
        {
            Resume(tid, PTRACE_CONT, 0);
            return;
        }
        // Arguments as they were at entry: the kernel may have changed the argument registers.
        var call = new TraceeCall(state.GetTgid(), tid, state.EntryRegs, engine.SyscallOf(nr), retval: (long)regs.Rax);
        var decision = engine.OnExit(nr, call);
        if (decision.Return is { } value)
        {
            regs.Rax = (ulong)value;
            SetRegs(tid, regs);
        }
        SendSignals(call, decision.Signals);
        Schedule(tid, PTRACE_CONT, decision.DelayNanoseconds);
    }

    private static void SendSignals(TraceeCall call, int[]? signals)
    {
        if (signals is null) return;
        foreach (int s in signals) TgKill(call.Pid, call.Tid, s);
    }

    private void Schedule(int tid, int request, long delayNanoseconds)
    {
        if (delayNanoseconds <= 0)
        {
            Resume(tid, request, 0);
            return;
        }
        // Only this thread waits; the tracer goes on serving the others.
        long due = Environment.TickCount64 + Math.Max(1, delayNanoseconds / 1_000_000);
        delayed.Enqueue(new PendingResume(tid, request), due);
    }

    private void ResumeDue()
    {
        long now = Environment.TickCount64;
        while (delayed.TryPeek(out var pending, out long due) && due <= now)
        {
            delayed.Dequeue();
            Resume(pending.Tid, pending.Request, 0);
        }
    }

    private static void Resume(int tid, int request, int signal) => Ptrace(request, tid, IntPtr.Zero, signal);

    private static string FindLauncher()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "phoebe-launch");
        if (!File.Exists(path)) throw new InjectionException($"the launcher is missing: {path} (rebuild Phoebe)");
        var mode = File.GetUnixFileMode(path);
        // NuGet packages drop the executable bit.
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            try
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
            catch (UnauthorizedAccessException)
            {
                throw new InjectionException($"the launcher is not executable and cannot be made so: {path}");
            }
        }
        return path;
    }

    private readonly record struct PendingResume(int Tid, int Request);

    private sealed class ThreadState(int tid)
    {
        public int Tgid { get; set; }
        public int PendingExit { get; set; } = -1;
        public UserRegs EntryRegs { get; set; }

        public int GetTgid()
        {
            if (Tgid != 0) return Tgid;
            try
            {
                foreach (var line in File.ReadLines($"/proc/{tid}/status"))
                {
                    if (line.StartsWith("Tgid:", StringComparison.Ordinal))
                    {
                        Tgid = int.Parse(line.AsSpan(5).Trim());
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                Tgid = tid;
            }
            if (Tgid == 0) Tgid = tid;
            return Tgid;
        }
    }
}
