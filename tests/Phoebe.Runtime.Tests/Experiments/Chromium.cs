using System.Collections;
using Phoebe.Runtime.Tests.Run;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>
/// Debian's headless Chromium, to open report.html as a person would. Installed with apt-get when missing
/// (tools/test.sh installs it first); a test skips, saying why, only when it cannot be installed.
/// </summary>
internal static class Chromium
{
    /// <summary>Where Debian's package puts it.</summary>
    public const string Binary = "/usr/bin/chromium";

    // Installed at most once per test run; null when it is there.
    private static readonly Lazy<string?> Missing = new(Install, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Flags for a headless run on a machine without network: the background-networking ones stop Chromium's
    /// own connections (refused here), the virtual time budget lets the page's scripts finish before the dump.
    /// </summary>
    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--virtual-time-budget=5000",
    ];

    /// <summary>Skips the test, with the reason, when Chromium is missing and cannot be installed.</summary>
    public static void Require()
    {
        if (Missing.Value is { } why) Skip.Now(why);
    }

    /// <summary>The DOM of <paramref name="file"/> after its scripts ran (<c>--dump-dom</c>).</summary>
    public static string DumpDom(string file)
    {
        var result = Run(["--dump-dom", new Uri(file).AbsoluteUri]);
        Assert.True(result.ExitCode == 0 && result.Stdout.Contains("</html>", StringComparison.Ordinal), $"chromium --dump-dom failed: {result}");
        return result.Stdout;
    }

    /// <summary>A screenshot of the top <paramref name="width"/> × <paramref name="height"/> pixels of <paramref name="file"/>.</summary>
    public static Png Screenshot(string file, int width, int height)
    {
        string png = Path.Combine(Path.GetDirectoryName(file)!, Path.GetFileNameWithoutExtension(file) + ".png");
        var result = Run([$"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1", new Uri(file).AbsoluteUri]);
        Assert.True(result.ExitCode == 0 && File.Exists(png), $"chromium --screenshot failed: {result}");
        return Png.Read(File.ReadAllBytes(png));
    }

    private static ProcessResult Run(string[] arguments)
    {
        Require();
        var profile = Directory.CreateTempSubdirectory("phoebe-chromium-");
        try
        {
            return RunningProcess.Run(new ProcessSpec(Binary, [.. Flags, $"--user-data-dir={profile.FullName}", .. arguments]), TimeSpan.FromSeconds(120));
        }
        finally
        {
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static string? Install()
    {
        if (File.Exists(Binary)) return null;
        if (Environment.UserName != "root" || HostTools.Find("apt-get") is null)
        {
            return $"{Binary} is missing and cannot be installed here (needs root and apt-get): apt-get install chromium (tools/test.sh does)";
        }
        var env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        env["DEBIAN_FRONTEND"] = "noninteractive";
        string log = "";
        // A stale package list makes the install fail: update it once, then try again.
        string[][] steps = [["install", "-y", "-q", "chromium"], ["update", "-q"], ["install", "-y", "-q", "chromium"]];
        foreach (string[] step in steps)
        {
            try
            {
                var result = RunningProcess.Run(new ProcessSpec("apt-get", step, null, env), TimeSpan.FromMinutes(10));
                log = result.Stdout + result.Stderr;
            }
            catch (TimeoutException e)
            {
                log = e.Message;
            }
            if (File.Exists(Binary)) return null;
        }
        string last = string.Join(" / ", log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
        return $"{Binary} is missing and `apt-get install chromium` did not install it: {last}";
    }
}
