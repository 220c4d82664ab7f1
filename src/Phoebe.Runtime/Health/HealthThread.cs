using System.Collections.Concurrent;

namespace Phoebe.Runtime.Health;

/// <summary>
/// Runs one run of a check on a thread of its own, with a single-threaded
/// synchronization context so that the check's <c>await</c> continuations come
/// back to that thread. A check that never stops (a busy loop, a wait that ignores
/// cancellation) holds only its own thread, never the thread pool or the caller.
/// </summary>
internal static class HealthThread
{
    /// <summary>Starts <paramref name="check"/> on a new background thread; the task ends with its result or exception.</summary>
    public static Task<HealthResult?> Start(CompiledHealthCheck check, HealthContext context)
    {
        var done = new TaskCompletionSource<HealthResult?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => Run(check, context, done))
        {
            IsBackground = true,
            Name = $"health {check.Name}",
        };
        thread.Start();
        return done.Task;
    }

    private static void Run(CompiledHealthCheck check, HealthContext context, TaskCompletionSource<HealthResult?> done)
    {
        var loop = new Loop(context);
        SynchronizationContext.SetSynchronizationContext(loop);
        try
        {
            Task<HealthResult?> body;
            try
            {
                body = check.Body(context);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
                return;
            }
            body.ContinueWith(t =>
            {
                try
                {
                    done.TrySetResult(t.GetAwaiter().GetResult());
                }
                catch (Exception e)
                {
                    // Keeps an OperationCanceledException as it was thrown, with its message.
                    done.TrySetException(e);
                }
                loop.Complete();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            loop.RunUntilComplete();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(null);
        }
    }

    /// <summary>A message loop on the check's thread.</summary>
    private sealed class Loop(HealthContext context) : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> queue = new();

        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                queue.Add((d, state));
                return;
            }
            catch (InvalidOperationException)
            {
                // The run is over, but work it left behind still continues: run it elsewhere.
            }
            ThreadPool.UnsafeQueueUserWorkItem(_ => Invoke(d, state), null);
        }

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (Current == this)
            {
                d(state);
                return;
            }
            using var sent = new ManualResetEventSlim();
            Post(s =>
            {
                try { d(s); } finally { sent.Set(); }
            }, state);
            sent.Wait();
        }

        public override SynchronizationContext CreateCopy() => this;

        public void Complete() => queue.CompleteAdding();

        public void RunUntilComplete()
        {
            foreach (var (callback, state) in queue.GetConsumingEnumerable()) Invoke(callback, state);
        }

        // An exception escaping a callback (an `async void` method of the check) would end the process.
        private void Invoke(SendOrPostCallback callback, object? state)
        {
            try
            {
                callback(state);
            }
            catch (Exception e)
            {
                context.Log($"unhandled exception in the check's background work: {HealthRunner.Describe(e)}");
            }
        }
    }
}
