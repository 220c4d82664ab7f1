using System.IO.Compression;

namespace Phoebe.Runtime.Tests.Doctor;

/// <summary>The names in /proc/kallsyms: what the kernel has, known without BTF or BPF.</summary>
internal static class KernelSymbols
{
    /// <summary>The symbol names, or null when /proc/kallsyms cannot be read.</summary>
    public static HashSet<string>? Read()
    {
        try
        {
            // "ffffffff81382f10 T __x64_sys_getpid" (addresses are zero for the unprivileged; names are not hidden).
            return File.ReadLines("/proc/kallsyms").Select(l => l.Split(' ', 4)).Where(p => p.Length >= 3).Select(p => p[2].TrimEnd()).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>The running kernel's build options, from /proc/config.gz or /boot/config-RELEASE (Debian).</summary>
internal static class KernelConfig
{
    /// <summary>Option name to value ("y", "m", a string), only the set ones; null when neither file exists.</summary>
    public static Dictionary<string, string>? Read()
    {
        try
        {
            string text;
            if (File.Exists("/proc/config.gz"))
            {
                using var gz = new GZipStream(File.OpenRead("/proc/config.gz"), CompressionMode.Decompress);
                using var reader = new StreamReader(gz);
                text = reader.ReadToEnd();
            }
            else
            {
                string boot = "/boot/config-" + File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
                if (!File.Exists(boot)) return null;
                text = File.ReadAllText(boot);
            }
            return text.Split('\n').Where(l => l.StartsWith("CONFIG_", StringComparison.Ordinal) && l.Contains('='))
                .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="option"/> is built in.</summary>
    public static bool IsOn(this Dictionary<string, string> config, string option) => config.GetValueOrDefault(option) == "y";
}
