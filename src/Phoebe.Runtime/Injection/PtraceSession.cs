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
    private bool attached;
    private bool detaching;
    private int wakerPid;
    private bool rootExited;
    private bool expectListener;
    private SeccompNotifySupervisor? supervisor;
    private string? setupFailure;

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
    public int Run(LaunchSpec spec) => OnTracerThread(() => TraceLoop(spec));

    /// <summary>
    /// Attaches to every thread of <paramref name="pid"/> (and the children it creates)
    /// until <see cref="Detach"/> is called or <paramref name="duration"/> elapses, then
    /// detaches so that every thread resumes as if Phoebe had never been there.
    /// Returns the target's exit code if it exited while attached, else null.
    /// </summary>
    public int? Attach(int pid, TimeSpan? duration)
    {
        int? exit = null;
        OnTracerThread(() =>
        {
            exit = AttachLoop(pid, duration);
            return 0;
        });
        return exit;
    }

    /// <summary>Sends SIGINT to the launched process (from any thread), as Ctrl-C would.</summary>
    public void InterruptTarget()
    {
        int pid = rootPid;
        if (pid > 0 && !attached) Kill(pid, 2);
    }

    /// <summary>Ends an attach session (from any thread): the tracer detaches from everything.</summary>
    public void Detach()
    {
        detaching = true;
        int w = wakerPid;
        if (w > 0) Kill(w, SIGKILL);
    }

    private int OnTracerThread(Func<int> body)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new InjectionException($"injection supports x86_64 only for now (this is {RuntimeInformation.ProcessArchitecture})");
        }
        int result = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
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
        return result;
    }

    private int TraceLoop(LaunchSpec spec)
    {
        string launcher = FindLauncher();
        string filterFile = Path.Combine(Path.GetTempPath(), $"phoebe-filter-{Environment.ProcessId}-{Guid.NewGuid():N}.bpf");
        var filterPlan = engine.FilterPlan();
        File.WriteAllBytes(filterFile, SeccompFilterBuilder.Serialize(SeccompFilterBuilder.Build(filterPlan)));
        File.SetUnixFileMode(filterFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        expectListener = filterPlan.Values.Any(f => f.Otherwise == SeccompAction.UserNotif);

        var argv = new List<string> { launcher, "--filter", filterFile };
        if (expectListener) argv.Add("--notify");
        argv.AddRange(["--", spec.Program]);
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
        int rootStatus;
        try
        {
            rootStatus = Serve();
        }
        finally
        {
            supervisor?.Dispose();
            if (File.Exists(filterFile)) File.Delete(filterFile);
        }
        if (setupFailure != null) throw new InjectionException(setupFailure);
        return WIfExited(rootStatus) ? WExitStatus(rootStatus) : 128 + WTermSig(rootStatus);
    }

    private int? AttachLoop(int pid, TimeSpan? duration)
    {
        attached = true;
        rootPid = pid;
        if (!Directory.Exists($"/proc/{pid}")) throw new InjectionException($"no such process: {pid}");
        if (pid == Environment.ProcessId) throw new InjectionException("Phoebe cannot attach to itself");
        int tracer = ProcFs.StatusField(pid, "TracerPid:");
        if (tracer > 0)
        {
            // TracerPid names the tracing thread; users know processes.
            int owner = ProcFs.StatusField(tracer, "Tgid:");
            if (owner > 0) tracer = owner;
            string name = File.Exists($"/proc/{tracer}/comm") ? File.ReadAllText($"/proc/{tracer}/comm").Trim() : "?";
            throw new InjectionException($"process {pid} is already traced by pid {tracer} ({name}); a process has one tracer at a time");
        }
        // A child of ours whose death wakes the tracer from waitpid when it is time to detach.
        if (Spawn("sleep", ["sleep", "infinity"], [], out wakerPid) != 0) throw new InjectionException("cannot start the waker process (sleep)");
        if (duration is { } d)
        {
            var timer = new Thread(() =>
            {
                Thread.Sleep(d);
                Detach();
            }) { IsBackground = true, Name = "phoebe-duration" };
            timer.Start();
        }
        try
        {
            SeizeAllThreads(pid);
        }
        catch
        {
            Kill(wakerPid, SIGKILL);
            WaitPid(wakerPid, out _, 0);
            throw;
        }
        int status = Serve();
        return rootExited ? (WIfExited(status) ? WExitStatus(status) : 128 + WTermSig(status)) : null;
    }

    private void SeizeAllThreads(int pid)
    {
        const int options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;
        // Threads may be created while we attach: scan until a pass finds nothing new.
        bool found = true;
        while (found)
        {
            found = false;
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{pid}/task");
            }
            catch (DirectoryNotFoundException)
            {
                throw new InjectionException($"no such process: {pid}");
            }
            foreach (var dir in tasks)
            {
                if (!int.TryParse(Path.GetFileName(dir), out int tid) || threads.ContainsKey(tid)) continue;
                if (Ptrace(PTRACE_SEIZE, tid, IntPtr.Zero, options) == -1)
                {
                    int errno = LastErrno;
                    if (errno == ESRCH && threads.Count > 0) continue; // a thread that just exited
                    foreach (var t in threads.Keys) Ptrace(PTRACE_DETACH, t, IntPtr.Zero, IntPtr.Zero);
                    throw new InjectionException(errno switch
                    {
                        EPERM => $"not permitted to trace process {pid}: ptrace needs CAP_SYS_PTRACE (run as root) or kernel.yama.ptrace_scope=0 for a process that is not your descendant",
                        ESRCH => $"no such process: {pid}",
                        _ => $"cannot trace process {pid}: {StrError(errno)}",
                    });
                }
                threads[tid] = new ThreadState(tid) { Tgid = pid };
                liveTids[tid] = 0;
                Ptrace(PTRACE_INTERRUPT, tid, IntPtr.Zero, IntPtr.Zero);
                found = true;
            }
        }
    }

    /// <summary>Serves stops until no tracee is left; returns the root's wait status.</summary>
    private int Serve()
    {
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
            if (tid == wakerPid)
            {
                wakerPid = 0;
                BeginDetach();
                if (threads.Count == 0) break;
                continue;
            }
            if (WIfExited(status) || WIfSignaled(status))
            {
                threads.Remove(tid);
                liveTids.TryRemove(tid, out _);
                if (tid == rootPid)
                {
                    rootStatus = status;
                    rootExited = true;
                }
                if (attached && threads.Count == 0) break;
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
            if (attached && detaching && threads.Count == 0) break;
        }
        if (wakerPid > 0)
        {
            Kill(wakerPid, SIGKILL);
            WaitPid(wakerPid, out _, 0);
            wakerPid = 0;
        }
        return rootStatus;
    }

    /// <summary>Stops every thread so that it can be detached at its next stop.</summary>
    private void BeginDetach()
    {
        detaching = true;
        // Delayed threads are stopped in our hands: let them go now.
        while (delayed.TryDequeue(out var pending, out _)) Continue(pending.Tid, 0, pending.ToExit);
        foreach (var tid in threads.Keys) Ptrace(PTRACE_INTERRUPT, tid, IntPtr.Zero, IntPtr.Zero);
    }

    private void HandleStop(int tid, int status)
    {
        int sig = WStopSig(status);
        int ev = PtraceEvent(status);
        var state = threads[tid];
        if (sig == SIGTRAP && ev == PTRACE_EVENT_SECCOMP)
        {
            OnEntry(tid, state);
            return;
        }

        if (sig == (SIGTRAP | 0x80))
        {
            // Launched targets stop at exit only when we asked after a seccomp stop;
            // attached ones stop at every entry and exit.
            bool entry = attached && SyscallStopKind(tid) == PTRACE_SYSCALL_INFO_ENTRY;
            if (entry) OnEntry(tid, state);
            else OnExit(tid, state);
            return;
        }
        if (sig == SIGTRAP && ev is PTRACE_EVENT_FORK or PTRACE_EVENT_VFORK or PTRACE_EVENT_CLONE)
        {
            if (GetEventMessage(tid, out ulong child))
            {
                int c = (int)child;
                if (!threads.ContainsKey(c)) threads[c] = new ThreadState(c);
                liveTids[c] = 0;
                // A child created while detaching is detached at its first stop.
                if (detaching) Ptrace(PTRACE_INTERRUPT, c, IntPtr.Zero, IntPtr.Zero);
            }
            Continue(tid, 0, state.AwaitingExit);
            return;
        }
        if (sig == SIGTRAP && ev is PTRACE_EVENT_EXEC or PTRACE_EVENT_VFORK_DONE or PTRACE_EVENT_EXIT)
        {
            state.Tgid = 0; // re-read: exec may change the thread's identity
            Continue(tid, 0, state.AwaitingExit);
            return;
        }
        if (ev == PTRACE_EVENT_STOP)
        {
            // Group-stop (SIGSTOP and friends): stay stopped until SIGCONT, as without Phoebe.
            if (sig is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU && !detaching) Ptrace(PTRACE_LISTEN, tid, IntPtr.Zero, IntPtr.Zero);
            else Continue(tid, 0, state.AwaitingExit);
            return;
        }
        // A signal for the tracee: deliver it.
        Continue(tid, sig, state.AwaitingExit);
    }

    /// <summary>A syscall entry: a seccomp stop (launched) or a syscall-entry stop (attached).</summary>
    private void OnEntry(int tid, ThreadState state)
    {
        if (!GetRegs(tid, out var regs))
        {
            Continue(tid, 0, false);
            return;
        }
        int nr = (int)regs.OrigRax;
        if (expectListener && tid == rootPid && nr == InjectionEngine.ExecveNumber)
        {
            // The launcher's execve: its seccomp listener is still open (close-on-exec) for us to copy.
            expectListener = false;
            TakeListener(tid);
        }
        var call = new TraceeCall(state.GetTgid(), tid, regs, engine.SyscallOf(nr), retval: null);
        var decision = engine.OnEntry(nr, call);
        state.PendingExit = -1;
        state.PendingReturn = null;
        if (decision.Return is { } value)
        {
            // Skip the syscall (number -1) and make it return the value. A launched
            // target's seccomp stop takes the value as is; an attached thread's
            // syscall-entry stop gets it at the exit stop.
            regs.OrigRax = ulong.MaxValue;
            regs.Rax = (ulong)value;
            SetRegs(tid, regs);
            if (attached) state.PendingReturn = value;
        }
        SendSignals(call, decision.Signals);
        if (decision.WantExit)
        {
            state.PendingExit = nr;
            state.EntryRegs = regs;
        }
        Schedule(tid, decision.DelayNanoseconds, state.AwaitingExit);
    }

    private void OnExit(int tid, ThreadState state)
    {
        int nr = state.PendingExit;
        long? injected = state.PendingReturn;
        state.PendingExit = -1;
        state.PendingReturn = null;
        if (!GetRegs(tid, out var regs))
        {
            Continue(tid, 0, false);
            return;
        }
        if (injected is { } forced)
        {
            regs.Rax = (ulong)forced;
            SetRegs(tid, regs);
        }
        if (nr < 0)
        {
            Continue(tid, 0, false);
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
        Schedule(tid, decision.DelayNanoseconds, false);
    }

    /// <summary>Copies the launcher's seccomp listener into Phoebe and starts serving it.</summary>
    private void TakeListener(int pid)
    {
        int fd = -1;
        try
        {
            foreach (var link in Directory.GetFiles($"/proc/{pid}/fd"))
            {
                if (new FileInfo(link).LinkTarget == "anon_inode:seccomp notify" && int.TryParse(Path.GetFileName(link), out int n)) fd = n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        int pidfd = fd >= 0 ? PidfdOpen(pid) : -1;
        int copy = pidfd >= 0 ? PidfdGetFd(pidfd, fd) : -1;
        int errno = LastErrno;
        if (pidfd >= 0) Close(pidfd);
        if (copy < 0)
        {
            // Without a supervisor the notified syscalls would wait forever: stop here.
            setupFailure = fd < 0
                ? "the launcher's seccomp listener was not found"
                : $"cannot take the launcher's seccomp listener (pidfd_getfd: {StrError(errno)}); try --ptrace-only";
            KillAll();
            return;
        }
        supervisor = new SeccompNotifySupervisor(copy, engine);
        supervisor.Start();
    }

    private static void SendSignals(TraceeCall call, int[]? signals)
    {
        if (signals is null) return;
        foreach (int s in signals) TgKill(call.Pid, call.Tid, s);
    }

    private void Schedule(int tid, long delayNanoseconds, bool toExit)
    {
        if (delayNanoseconds <= 0 || detaching)
        {
            Continue(tid, 0, toExit);
            return;
        }
        // Only this thread waits; the tracer goes on serving the others.
        long due = Environment.TickCount64 + Math.Max(1, delayNanoseconds / 1_000_000);
        delayed.Enqueue(new PendingResume(tid, toExit), due);
    }

    private void ResumeDue()
    {
        long now = Environment.TickCount64;
        while (delayed.TryPeek(out var pending, out long due) && due <= now)
        {
            delayed.Dequeue();
            Continue(pending.Tid, 0, pending.ToExit);
        }
    }

    /// <summary>
    /// Lets a stopped thread go on: to its syscall's exit stop when a rule needs it,
    /// else to the next stop the filter (launched) or every syscall (attached) makes.
    /// While detaching, a thread that owes no exit fix-up is detached instead.
    /// </summary>
    private void Continue(int tid, int signal, bool toExit)
    {
        if (detaching && !toExit)
        {
            Ptrace(PTRACE_DETACH, tid, IntPtr.Zero, signal);
            threads.Remove(tid);
            liveTids.TryRemove(tid, out _);
            return;
        }
        int request = attached || toExit ? PTRACE_SYSCALL : PTRACE_CONT;
        Ptrace(request, tid, IntPtr.Zero, signal);
    }

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

    private readonly record struct PendingResume(int Tid, bool ToExit);

    private sealed class ThreadState(int tid)
    {
        public int Tgid { get; set; }
        /// <summary>The syscall whose exit stop EXIT rules wait for, or -1.</summary>
        public int PendingExit { get; set; } = -1;

        /// <summary>An attached thread's injected result, written at the exit stop.</summary>
        public long? PendingReturn { get; set; }

        /// <summary>True when the thread must be let through to its syscall's exit stop.</summary>
        public bool AwaitingExit => PendingExit >= 0 || PendingReturn is not null;

        public UserRegs EntryRegs { get; set; }

        public int GetTgid()
        {
            if (Tgid == 0) Tgid = ProcFs.Tgid(tid);
            return Tgid;
        }
    }
}
