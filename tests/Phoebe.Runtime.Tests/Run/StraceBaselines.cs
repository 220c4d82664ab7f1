using System.Collections.Concurrent;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>Everything a run of a differential case shows: exit code, output, and what it left in the workspace.</summary>
public sealed record Observation(ProcessResult Result, string Files)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Result}--- files\n{Files}";

    /// <summary>Runs <paramref name="spec"/> in <paramref name="workspace"/>, reset first, and observes it.</summary>
    public static Observation Of(Workspace workspace, ProcessSpec spec)
    {
        workspace.Reset();
        var result = RunningProcess.Run(spec, TimeSpan.FromSeconds(60));
        return new Observation(result, workspace.Snapshot());
    }
}

/// <summary>
/// The strace side of a differential case, run twice: a case whose two strace
/// runs differ is not deterministic and is dropped (Phoebe cannot be compared
/// with a moving reference). Also a run without any tracer, to tell whether the
/// injection changed anything.
/// </summary>
public sealed record Baseline(DifferentialCase Case, Workspace Workspace, Observation Strace, Observation StraceAgain, Observation Untraced)
{
    /// <summary>Both strace runs showed the same.</summary>
    public bool Deterministic => Strace.ToString() == StraceAgain.ToString();

    /// <summary>The injection made a visible difference (some cases inject into a call the program ignores, or never makes).</summary>
    public bool Effect => Strace.ToString() != Untraced.ToString();

    /// <summary>The strace command line.</summary>
    public ProcessSpec StraceSpec => new(HostTools.Strace, Case.StraceArgs, Workspace.Path, Workspace.Environment);
}

/// <summary>
/// Computes the strace baselines of the differential cases once per test run
/// (thread-safe, on demand, or all at once two at a time), each case in its own
/// workspace under one temporary directory removed at exit.
/// </summary>
public sealed class StraceBaselines : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("phoebe-diff-");
    private readonly ConcurrentDictionary<string, Lazy<Baseline>> baselines = new();

    /// <summary>The baseline of <paramref name="c"/>; skips the test when strace is missing.</summary>
    public Baseline For(DifferentialCase c)
    {
        string strace = HostTools.Strace;
        return baselines.GetOrAdd(c.Id, _ => new Lazy<Baseline>(() => Compute(c, strace), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
    }

    /// <summary>The baselines of all cases, computed two at a time (the machines have two cores).</summary>
    public IReadOnlyList<Baseline> All()
    {
        var results = new Baseline[DifferentialCases.All.Count];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => results[i] = For(DifferentialCases.All[i]));
        return results;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try { root.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Baseline Compute(DifferentialCase c, string strace)
    {
        var workspace = new Workspace(Path.Combine(root.FullName, c.Id));
        var spec = new ProcessSpec(strace, c.StraceArgs, workspace.Path, workspace.Environment);
        var first = Observation.Of(workspace, spec);
        var second = Observation.Of(workspace, spec);
        // Through env(1), which looks the program up in the workspace's PATH and keeps argv[0] as given, as strace does.
        var untraced = Observation.Of(workspace, new ProcessSpec("/usr/bin/env", c.Command, workspace.Path, workspace.Environment));
        return new Baseline(c, workspace, first, second, untraced);
    }
}
