namespace Phoebe.Runtime.Tests.Run;

/// <summary>
/// A temporary working directory for target tests, with three small files
/// (a.txt, b.txt, c.txt) so that targets open relative, machine-independent paths.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("phoebe-run-");

    /// <summary>Creates the directory and its files.</summary>
    public ScratchDirectory()
    {
        foreach (var name in new[] { "a", "b", "c" }) System.IO.File.WriteAllText(File(name + ".txt"), name + "\n");
    }

    /// <summary>The directory.</summary>
    public string Path => dir.FullName;

    /// <summary>The path of <paramref name="name"/> inside the directory.</summary>
    public string File(string name) => System.IO.Path.Combine(dir.FullName, name);

    /// <summary>Writes a file into the directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
