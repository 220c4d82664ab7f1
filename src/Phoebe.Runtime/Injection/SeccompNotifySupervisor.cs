using System.Buffers.Binary;
using Phoebe.Runtime.Interop;
using static Phoebe.Runtime.Interop.LibC;

namespace Phoebe.Runtime.Injection;

/// <summary>
/// Serves <c>SECCOMP_RET_USER_NOTIF</c> calls: the calling thread waits in the
/// kernel while this supervisor decides (no ptrace stop, no register access), then
/// answers with an errno, a value, or "continue". Delays postpone only that answer,
/// so only the calling thread waits. Runs on its own thread beside the tracer.
/// </summary>
internal sealed class SeccompNotifySupervisor : IDisposable
{
    private readonly int listener;
    private readonly InjectionEngine engine;
    private readonly Thread thread;
    private readonly Dictionary<int, int> tgids = new();
    private readonly int notifSize;
    private int pendingSends;
    private volatile bool stopping;

    public SeccompNotifySupervisor(int listener, InjectionEngine engine)
    {
        this.listener = listener;
        this.engine = engine;
        notifSize = NotifSizes(out ushort n, out _, out _) ? Math.Max((int)n, 80) : 80;
        thread = new Thread(Serve) { Name = "phoebe-notify", IsBackground = true };
    }

    public void Start() => thread.Start();

    private unsafe void Serve()
    {
        var buffer = new byte[notifSize];
        Span<ulong> args = stackalloc ulong[6];
        while (!stopping)
        {
            var pfd = new PollFd { Fd = listener, Events = POLLIN };
            int ready = Poll(&pfd, 1, 100);
            if (ready < 0 && LastErrno != EINTR) return;
            if (ready <= 0) continue;
            if ((pfd.REvents & POLLHUP) != 0 && (pfd.REvents & POLLIN) == 0) return; // no filtered task is left
            Array.Clear(buffer); // the kernel insists on a zeroed request
            int rc;
            fixed (byte* p = buffer) rc = Ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, p);
            if (rc != 0) continue; // the task died or was interrupted meanwhile
            ulong id = BinaryPrimitives.ReadUInt64LittleEndian(buffer);
            int tid = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(8));
            int nr = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(16));
            for (int i = 0; i < 6; i++) args[i] = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32 + 8 * i));

            var call = new TraceeCall(TgidOf(tid), tid, UserRegs.FromArguments(args), engine.SyscallOf(nr), retval: null);
            var decision = engine.OnEntry(nr, call);
            // What we read of the task's memory is only trustworthy if it is still waiting.
            ulong check = id;
            if (Ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &check) != 0) continue;
            if (decision.DelayNanoseconds > 0)
            {
                Interlocked.Increment(ref pendingSends);
                var due = TimeSpan.FromTicks(decision.DelayNanoseconds / 100);
                _ = Task.Delay(due).ContinueWith(_ =>
                {
                    Answer(id, decision.Return, call, decision.Signals);
                    Interlocked.Decrement(ref pendingSends);
                }, TaskScheduler.Default);
            }
            else
            {
                Answer(id, decision.Return, call, decision.Signals);
            }
        }
    }

    private unsafe void Answer(ulong id, long? value, TraceeCall call, int[]? signals)
    {
        byte* resp = stackalloc byte[24];
        new Span<byte>(resp, 24).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(new Span<byte>(resp, 8), id);
        if (value is { } v)
        {
            if (v is >= -4095 and <= -1) BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(resp + 16, 4), (int)v); // error = -errno
            else BinaryPrimitives.WriteInt64LittleEndian(new Span<byte>(resp + 8, 8), v);                          // val
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(resp + 20, 4), SECCOMP_USER_NOTIF_FLAG_CONTINUE);
        }
        Ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
        // After the answer: a signal sent while the thread waits would interrupt and restart the call.
        if (signals != null)
        {
            foreach (int s in signals) TgKill(call.Pid, call.Tid, s);
        }
    }

    private int TgidOf(int tid)
    {
        if (tgids.TryGetValue(tid, out int tgid)) return tgid;
        tgid = ProcFs.Tgid(tid);
        if (tgids.Count > 100_000) tgids.Clear();
        tgids[tid] = tgid;
        return tgid;
    }

    /// <summary>Stops serving (after the traced tree is gone) and closes the listener.</summary>
    public void Dispose()
    {
        stopping = true;
        if (thread.IsAlive) thread.Join();
        var deadline = Environment.TickCount64 + 5000;
        while (Volatile.Read(ref pendingSends) > 0 && Environment.TickCount64 < deadline) Thread.Sleep(5);
        Close(listener);
    }
}
