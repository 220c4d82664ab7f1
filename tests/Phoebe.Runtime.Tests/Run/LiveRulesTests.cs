using System.Diagnostics;
using Phoebe.Lang;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;
using Phoebe.Runtime.Injection;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>The tracer waits for any child (waitpid(-1)): no other test may start processes meanwhile.</summary>
[CollectionDefinition(nameof(InProcessTracer), DisableParallelization = true)]
public sealed class InProcessTracer;

/// <summary>
/// The library API: rules added, removed, enabled and disabled while a real target
/// runs, with live counters. The target (sleeper, calling getpid every 20 ms)
/// writes what each getpid returned to a file.
/// </summary>
[Collection(nameof(InProcessTracer))]
public sealed class LiveRulesTests : IDisposable
{
    private readonly ScratchDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private static RulePlan Rule(string text)
    {
        var result = PhoebeCompiler.Compile(new SourceText("live.phb", text));
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics.Select(d => d.Message)));
        return Assert.Single(result.Plan!.Rules);
    }

    [SkippableFact]
    public void Rules_change_while_the_target_runs()
    {
        string output = dir.File("ticks.txt");
        var engine = new InjectionEngine([Rule("RULE watch ON getpid DO log \"tick\""), Rule("RULE deny ON getpid DO return EPERM")],
            new InjectionOptions { Seed = 1, InKernelErrno = false });
        Assert.True(engine.SetEnabled("deny", false));
        var session = new PtraceSession(engine);
        var run = Task.Run(() => session.Run(new LaunchSpec("/bin/sh", ["-c", $"exec {TargetBuilder.Path("sleeper")} -i 20 /etc/hostname > {output}"])));
        try
        {
            var watch = engine.Rules.Single(r => r.Name == "watch");
            var deny = engine.Rules.Single(r => r.Name == "deny");
            WaitFor(() => watch.Injected >= 5, "five ticks");
            Assert.Equal(0, deny.Injected);

            Assert.True(engine.SetEnabled("deny", true));
            WaitFor(() => deny.Injected >= 3, "three denied ticks");
            Assert.True(engine.SetEnabled("deny", false));
            long denied = deny.Injected;
            long ticks = watch.Injected;
            WaitFor(() => watch.Injected >= ticks + 3, "three more ticks");
            Assert.Equal(denied, deny.Injected);

            Assert.True(engine.RemoveRule("deny"));
            Assert.DoesNotContain(engine.Rules, r => r.Name == "deny");
            engine.AddRule(Rule("RULE late ON getpid IF call == 2 DO return EACCES"));
            var late = engine.Rules.Single(r => r.Name == "late");
            WaitFor(() => late.Calls >= 3, "the added rule to see calls");
            Assert.Equal(1, late.Injected);
            Assert.Throws<ArgumentException>(() => engine.AddRule(Rule("RULE late ON getpid DO return EIO")));
        }
        finally
        {
            session.KillAll();
            Assert.True(run.Wait(TimeSpan.FromSeconds(20)), "the session did not end after KillAll");
        }
        Assert.Equal(137, run.Result); // the target was killed with SIGKILL

        var lines = File.ReadAllLines(output).Where(l => l.Contains(" getpid ", StringComparison.Ordinal)).ToArray();
        int firstDenied = Array.FindIndex(lines, l => l.EndsWith("-1 EPERM", StringComparison.Ordinal));
        Assert.True(firstDenied > 0, "no getpid was denied");
        Assert.Contains(lines[(firstDenied + 1)..], l => l.EndsWith("-> ok", StringComparison.Ordinal));
        Assert.Single(lines, l => l.EndsWith("-1 EACCES", StringComparison.Ordinal));
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"waited 20 s for {what}");
            Thread.Sleep(10);
        }
    }
}
