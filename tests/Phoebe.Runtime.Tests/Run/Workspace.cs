using System.Security.Cryptography;
using System.Text;

namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// The working directory of a differential case: always the same path, reset to
/// the same content before each run, so that two runs of a program (under strace,
/// under Phoebe) see the same cwd, files and paths, and what they leave behind
/// can be compared.
/// </summary>
public sealed class Workspace(string path)
{
    /// <summary>Content of in.txt.</summary>
    public const string InputText = "alpha\nbravo\ncharlie\ndelta\necho\n";

    /// <summary>The directory.</summary>
    public string Path { get; } = path;

    /// <summary>HOME of the runs: beside the directory, so that nothing a program (or the dotnet host) keeps in HOME shows in <see cref="Snapshot"/>.</summary>
    public string Home => Path + ".home";

    /// <summary>
    /// The environment of every run: fixed, so that nothing of the test runner's
    /// reaches the program, and the same under strace and under Phoebe.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var env = new Dictionary<string, string>
            {
                ["PATH"] = "/usr/bin:/bin",
                ["LC_ALL"] = "C",
                ["TZ"] = "UTC",
                ["HOME"] = Home,
                ["PYTHONDONTWRITEBYTECODE"] = "1",
            };
            // The dotnet host that runs Phoebe may need it; strace's side gets it too, so both targets see the same environment.
            if (System.Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root) env["DOTNET_ROOT"] = root;
            return env;
        }
    }

    /// <summary>Empties the directory and writes the fixed content: in.txt and d/{one,two,three}.</summary>
    public void Reset()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        Directory.CreateDirectory(Path);
        Directory.CreateDirectory(Home);
        File.WriteAllText(System.IO.Path.Combine(Path, "in.txt"), InputText);
        Directory.CreateDirectory(System.IO.Path.Combine(Path, "d"));
        foreach (var name in new[] { "one", "two", "three" })
        {
            File.WriteAllText(System.IO.Path.Combine(Path, "d", name), name + "\n");
        }
    }

    /// <summary>
    /// What the directory holds, one line per entry in ordinal order: name, kind,
    /// permissions, and for files the size and content (a hash past 4 KiB).
    /// Times are left out: they differ between any two runs.
    /// </summary>
    public string Snapshot()
    {
        var lines = new List<string>();
        foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            string name = System.IO.Path.GetRelativePath(Path, entry.FullName);
            string mode = Convert.ToString((int)entry.UnixFileMode, 8);
            if (entry.LinkTarget != null) lines.Add($"{name} link -> {entry.LinkTarget}");
            else if (entry is DirectoryInfo) lines.Add($"{name}/ dir {mode}");
            else
            {
                byte[] bytes = File.ReadAllBytes(entry.FullName);
                string content = bytes.Length <= 4096 ? Escape(bytes) : "sha256:" + Convert.ToHexString(SHA256.HashData(bytes));
                lines.Add($"{name} file {mode} {bytes.Length} {content}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines) + "\n";
    }

    private static string Escape(byte[] bytes)
    {
        var sb = new StringBuilder("\"");
        foreach (byte b in bytes)
        {
            if (b == '\n') sb.Append("\\n");
            else if (b == '"' || b == '\\') sb.Append('\\').Append((char)b);
            else if (b is >= 0x20 and < 0x7f) sb.Append((char)b);
            else sb.Append($"\\x{b:x2}");
        }
        return sb.Append('"').ToString();
    }
}
