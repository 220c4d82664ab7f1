using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Phoebe.Runtime.Interop;
using static Phoebe.Runtime.Interop.LibC;

namespace Phoebe.Runtime.Injection;

/// <summary>A command to launch under injection.</summary>
public sealed record LaunchSpec(string Program, IReadOnlyList<string> Arguments);

/// <summary>A user-facing failure to start or trace a target (no stack trace is shown).</summary>
/// <param name="message">What went wrong and how to fix it.</param>
/// <param name="missingCapability">True when the machine or the user lacks a capability (ptrace denied), which <c>phoebe doctor</c> explains.</param>
public sealed class InjectionException(string message, bool missingCapability = false) : Exception(message)
{
    /// <summary>True when the machine or the user lacks a capability (ptrace denied), which <c>phoebe doctor</c> explains.</summary>
    public bool MissingCapability { get; } = missingCapability;
}

/// <summary>
/// One syscall a traced thread made, as an observing session reports it at the call's exit stop
/// (<see cref="PtraceSession.ForObservation"/>).
/// </summary>
/// <param name="Tid">The thread that made the call.</param>
/// <param name="Tgid">Its process (thread group id).</param>
/// <param name="Number">The syscall number (x86_64), never negative.</param>
/// <param name="Return">What the call returned: a value, or -errno (-4095..-1).</param>
/// <param name="EntryTimestamp">When the tracer saw the call's entry stop (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
/// <param name="ExitTimestamp">When the tracer saw the call's exit stop, on the same clock.</param>
public readonly record struct TracedSyscall(int Tid, int Tgid, int Number, long Return, long EntryTimestamp, long ExitTimestamp);

/// <summary>
/// Launches a target through the native launcher and traces it and everything it
/// creates from one dedicated tracer thread (ptrace requires that all requests
/// for a tracee come from the thread that seized it). The seccomp filter makes
/// only the rules' syscalls stop; everything else runs at native speed. An
/// observing session (<see cref="ForObservation"/>) instead stops every syscall
/// at its entry and its exit and reports each call.
/// </summary>
public sealed class PtraceSession
{
    // The kernel-internal results of a call interrupted by a stop that will be restarted
    // when the thread resumes (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK).
    private const long ErestartLow = -516, ErestartHigh = -512;
    private const string LauncherName = "phoebe-launch";
    private const int WNOTHREAD = 0x20000000; // __WNOTHREAD

    private const int TraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE
        | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

    private readonly InjectionEngine engine;
    private readonly Action<TracedSyscall>? observer;
    private readonly TaskCompletionSource tracing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool targetExecuted;
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

    private PtraceSession(InjectionEngine engine, Action<TracedSyscall> observer)
    {
        this.engine = engine;
        this.observer = observer;
    }

    /// <summary>
    /// A session that injects nothing and reports every syscall the traced threads complete to
    /// <paramref name="observer"/>, on the tracer thread. Every call then stops twice, at its entry and
    /// at its exit (PTRACE_SYSCALL), so the target runs far slower. Only calls whose entry and exit the
    /// tracer saw are reported: not a new child's return from fork, not <c>exit</c> or <c>exit_group</c>
    /// (they never return), not calls with a negative number, and not an attached thread's call that was
    /// running when the tracer stopped it and that is restarted after. A launched target gets no seccomp
    /// filter; its calls are reported from its <c>execve</c> on (the launcher's are not). <see cref="Detach"/>
    /// ends the session, launched or attached, leaving every process running.
    /// </summary>
    public static PtraceSession ForObservation(Action<TracedSyscall> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        return new PtraceSession(new InjectionEngine([], new InjectionOptions { InKernelErrno = false, UseSeccompNotify = false }), observer);
    }

    /// <summary>The launched process's pid, once started.</summary>
    public int RootPid => rootPid;

    /// <summary>
    /// Completes once the target is traced: the launcher seized (<see cref="Run"/>), or every thread of the
    /// processes seized (<see cref="Attach(IReadOnlyList{int}, TimeSpan?)"/>). Never completes when starting fails.
    /// </summary>
    public Task Tracing => tracing.Task;

    /// <summary>True once the launched program has replaced the launcher (its <c>execve</c> succeeded).</summary>
    public bool TargetExecuted => targetExecuted;

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
    /// (128 + signal when a signal killed it); -1 when an observing session detached
    /// from it while it ran (<see cref="Detach"/>). Throws <see cref="InjectionException"/>
    /// when the target cannot be started or traced.
    /// </summary>
    public int Run(LaunchSpec spec) => OnTracerThread(() => TraceLoop(spec));

    /// <summary>
    /// Attaches to every thread of <paramref name="pid"/> (and the children it creates)
    /// until <see cref="Detach"/> is called or <paramref name="duration"/> elapses, then
    /// detaches so that every thread resumes as if Phoebe had never been there.
    /// Returns the target's exit code if it exited while attached, else null.
    /// </summary>
    public int? Attach(int pid, TimeSpan? duration) => Attach([pid], duration);

    /// <summary>
    /// Attaches to every thread of each of <paramref name="pids"/> (and the children they create), as
    /// <see cref="Attach(int, TimeSpan?)"/> does for one; ends when they have all exited, at
    /// <see cref="Detach"/> or after <paramref name="duration"/>. Returns the exit code of the first
    /// process if it exited while attached, else null.
    /// </summary>
    public int? Attach(IReadOnlyList<int> pids, TimeSpan? duration)
    {
        if (pids.Count == 0) throw new ArgumentException("no process to attach to", nameof(pids));
        int? exit = null;
        OnTracerThread(() =>
        {
            exit = AttachLoop(pids, duration);
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

    /// <summary>
    /// Ends an attach session, or an observing session (<see cref="ForObservation"/>) of a launched command,
    /// from any thread: the tracer detaches from everything, which goes on running untraced.
    /// </summary>
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
        var argv = new List<string> { launcher };
        // Observing stops every syscall with PTRACE_SYSCALL: no filter, so the target keeps its
        // privileges (no PR_SET_NO_NEW_PRIVS) and can be detached from safely.
        if (observer is null)
        {
            var filterPlan = engine.FilterPlan();
            File.WriteAllBytes(filterFile, SeccompFilterBuilder.Serialize(SeccompFilterBuilder.Build(filterPlan)));
            File.SetUnixFileMode(filterFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            expectListener = filterPlan.Values.Any(f => f.Otherwise == SeccompAction.UserNotif);
            argv.AddRange(["--filter", filterFile]);
            if (expectListener) argv.Add("--notify");
        }
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
                : $"cannot trace the target: {StrError(errno)}", missingCapability: errno == EPERM);
        }
        liveTids[pid] = 0;
        threads[pid] = new ThreadState(pid);
        // An observing session can detach from a command that runs on (Detach): the waker's death wakes the tracer.
        if (observer != null && Spawn("sleep", ["sleep", "infinity"], [], out wakerPid) != 0)
        {
            Kill(pid, SIGKILL);
            WaitPid(pid, out _, __WALL);
            throw new InjectionException("cannot start the waker process (sleep)");
        }
        tracing.TrySetResult();
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
        if (!rootExited) return -1; // detached while it runs
        return WIfExited(rootStatus) ? WExitStatus(rootStatus) : 128 + WTermSig(rootStatus);
    }

    private int? AttachLoop(IReadOnlyList<int> pids, TimeSpan? duration)
    {
        attached = true;
        rootPid = pids[0];
        // Check them all before seizing any.
        foreach (int pid in pids)
        {
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
            foreach (int pid in pids) SeizeAllThreads(pid);
        }
        catch
        {
            Kill(wakerPid, SIGKILL);
            WaitPid(wakerPid, out _, 0);
            throw;
        }
        tracing.TrySetResult();
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
                    }, missingCapability: errno == EPERM);
                }
                threads[tid] = new ThreadState(tid) { Tgid = pid, Seized = true };
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
            // Only this thread's children and tracees: never a child another thread of this process started
            // (System.Diagnostics.Process reaps its own, and fails fast when someone else did).
            int flags = __WALL | WNOTHREAD | (delayed.Count > 0 ? WNOHANG : 0);
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
                // With a waker alive, waitpid never says ECHILD: stop when no tracee is left.
                if ((attached || observer != null) && threads.Count == 0) break;
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
            if ((attached || observer != null) && detaching && threads.Count == 0) break;
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

        if (sig == (SIGTRAP | 0x80) && observer != null)
        {
            ObserveSyscallStop(tid, state);
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
            if (ev == PTRACE_EVENT_EXEC && tid == rootPid && !attached && !targetExecuted) targetExecuted = !IsLauncher(tid);
            Continue(tid, 0, state.AwaitingExit);
            return;
        }
        if (ev == PTRACE_EVENT_STOP)
        {
            if (state.Seized)
            {
                // The stop that attaching made. A call it interrupted is restarted when the thread
                // resumes: that call was running before the tracer came, so it is not observed.
                state.Seized = false;
                state.SkipRestart = observer != null && GetRegs(tid, out var regs) && (long)regs.OrigRax >= 0
                    && (long)regs.Rax is >= ErestartLow and <= ErestartHigh;
            }
            // Group-stop (SIGSTOP and friends): stay stopped until SIGCONT, as without Phoebe.
            if (sig is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU && !detaching) Ptrace(PTRACE_LISTEN, tid, IntPtr.Zero, IntPtr.Zero);
            else Continue(tid, 0, state.AwaitingExit);
            return;
        }
        // A signal for the tracee: deliver it.
        Continue(tid, sig, state.AwaitingExit);
    }

    /// <summary>
    /// An observing session's syscall stop (every syscall stops at its entry and its exit): at the entry,
    /// remember the call and when it started; at the exit, report it if its entry was seen.
    /// </summary>
    private void ObserveSyscallStop(int tid, ThreadState state)
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        // One request tells the kind of stop and the number (entry) or the result (exit).
        byte kind = SyscallStop(tid, out long value);
        if (kind == PTRACE_SYSCALL_INFO_ENTRY)
        {
            state.ObservedNr = -1;
            bool restart = state.SkipRestart;
            state.SkipRestart = false;
            // A launched target's calls count from its execve on: not the launcher's.
            if (!restart && value >= 0 && (attached || targetExecuted))
            {
                state.ObservedNr = (int)value;
                state.EntryTimestamp = now;
            }
        }
        else if (kind == PTRACE_SYSCALL_INFO_EXIT)
        {
            int nr = state.ObservedNr;
            state.ObservedNr = -1;
            if (nr >= 0) observer!(new TracedSyscall(tid, state.GetTgid(), nr, value, state.EntryTimestamp, now));
        }
        Continue(tid, 0, false);
    }

    /// <summary>
    /// The kind of syscall stop <paramref name="tid"/> is in (<c>PTRACE_SYSCALL_INFO_ENTRY</c> or <c>_EXIT</c>;
    /// 0 when unknown) with the syscall number at an entry or the result (-errno for errors) at an exit,
    /// from <c>PTRACE_GET_SYSCALL_INFO</c>.
    /// </summary>
    private static unsafe byte SyscallStop(int tid, out long value)
    {
        // struct ptrace_syscall_info: u8 op, pad[3]; u32 arch; u64 instruction_pointer, stack_pointer;
        // then at offset 24 entry.nr (u64) or exit.rval (s64).
        const int Size = 96;
        byte* info = stackalloc byte[Size];
        long written = Ptrace(PTRACE_GET_SYSCALL_INFO, tid, Size, (IntPtr)info);
        value = written >= 32 ? *(long*)(info + 24) : 0;
        return written >= 32 ? info[0] : (byte)0;
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
        int request = attached || observer != null || toExit ? PTRACE_SYSCALL : PTRACE_CONT;
        Ptrace(request, tid, IntPtr.Zero, signal);
    }

    /// <summary>
    /// Whether <paramref name="pid"/> runs the launcher. posix_spawn returns once the launcher's own exec has
    /// released our memory, not once it has finished: the seize may come in time for that exec's event.
    /// </summary>
    private static bool IsLauncher(int pid)
    {
        try
        {
            return Path.GetFileName(new FileInfo($"/proc/{pid}/exe").LinkTarget) == LauncherName;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Where the native launcher that starts every target is expected: next to the assemblies.</summary>
    public static string LauncherPath => Path.Combine(AppContext.BaseDirectory, LauncherName);

    private static string FindLauncher()
    {
        string path = LauncherPath;
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

        /// <summary>Seized by attaching and not yet stopped by it.</summary>
        public bool Seized { get; set; }

        /// <summary>The next syscall entry restarts a call interrupted by attaching (observing only).</summary>
        public bool SkipRestart { get; set; }

        /// <summary>The observed call in progress (entry seen), or -1.</summary>
        public int ObservedNr { get; set; } = -1;

        /// <summary>When the tracer saw the observed call's entry stop.</summary>
        public long EntryTimestamp { get; set; }

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
