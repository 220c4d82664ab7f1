namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// Compiles the C targets of tests/targets once per test run, into a temporary
/// directory removed at exit, and hands out their paths. Thread-safe: the first
/// test that needs a target builds them all, the others wait.
/// </summary>
/// <remarks>
/// Targets are linked statically: a dynamically linked program's loader makes
/// openat, read, mmap, close and fstat calls of its own before main, so "the
/// second openat" would be the loader's libc.so.6 rather than the program's.
/// Statically linked, every counted call is one the target's source makes.
/// </remarks>
public static class TargetBuilder
{
    /// <summary>The compiler command line, before the output and source arguments.</summary>
    public static readonly string[] Flags = ["-O1", "-Wall", "-Werror", "-static", "-pthread"];

    private static readonly Lazy<Build> build = new(BuildAll, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the built target <paramref name="name"/> (e.g. "opens"); skips the test when there is no C compiler.</summary>
    public static string Path(string name)
    {
        var b = build.Value;
        if (b.SkipReason != null) Skip.Now(b.SkipReason);
        if (b.Error != null) throw new InvalidOperationException(b.Error);
        string path = System.IO.Path.Combine(b.Directory!, name);
        if (!File.Exists(path)) throw new ArgumentException($"no target `{name}` in tests/targets", nameof(name));
        return path;
    }

    /// <summary>The directory holding all built targets.</summary>
    public static string Directory => System.IO.Path.GetDirectoryName(Path("opens"))!;

    private sealed record Build(string? Directory, string? SkipReason, string? Error);

    private static Build BuildAll()
    {
        string? cc = HostTools.Find("cc");
        if (cc == null) return new Build(null, "`cc` is not installed: the C test targets cannot be built (apt-get install gcc)", null);

        var dir = System.IO.Directory.CreateTempSubdirectory("phoebe-targets-");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        var sources = System.IO.Directory.GetFiles(RepoPaths.Targets, "*.c").Order(StringComparer.Ordinal).ToArray();
        if (sources.Length == 0) return new Build(null, null, $"no C sources in {RepoPaths.Targets}");

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(sources, new ParallelOptions { MaxDegreeOfParallelism = 2 }, source =>
        {
            string output = System.IO.Path.Combine(dir.FullName, System.IO.Path.GetFileNameWithoutExtension(source));
            var result = RunningProcess.Run(new ProcessSpec(cc, [.. Flags, "-o", output, source]), TimeSpan.FromMinutes(2));
            if (result.ExitCode != 0) failures.Add($"cc {string.Join(' ', Flags)} {System.IO.Path.GetFileName(source)}:\n{result.Stderr}");
        });
        if (failures.IsEmpty) return new Build(dir.FullName, null, null);

        string all = string.Join("\n", failures);
        // Only a missing static C library is the machine's fault; anything else is a bug in a target.
        if (all.Contains("cannot find -lc", StringComparison.Ordinal) || all.Contains("cannot find -lpthread", StringComparison.Ordinal))
        {
            return new Build(null, "the static C library is missing, the test targets link statically (apt-get install libc6-dev)", null);
        }
        return new Build(null, null, "building the C test targets failed:\n" + all);
    }
}
