namespace Phoebe.Runtime.Tests.Run;

/// <summary>Finds programs of the machine that tests need (cc, strace, coreutils).</summary>
public static class HostTools
{
    /// <summary>The full path of <paramref name="name"/> in PATH (then /usr/bin, /bin), or null.</summary>
    public static string? Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/bin"]);
        foreach (var dir in dirs)
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return path;
            }
        }
        return null;
    }

    /// <summary>The full path of <paramref name="name"/>; skips the test, with <paramref name="why"/>, when the machine lacks it.</summary>
    public static string Require(string name, string why) =>
        Find(name) ?? throw new SkipException($"`{name}` is not installed ({why})");

    /// <summary>strace, the reference for ENTRY injection (Debian package strace).</summary>
    public static string Strace => Require("strace", "the reference for ENTRY injection: apt-get install strace");
}
