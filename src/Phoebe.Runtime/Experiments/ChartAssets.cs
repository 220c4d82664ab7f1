namespace Phoebe.Runtime.Experiments;

/// <summary>
/// The chart library that <c>report.html</c> inlines: uPlot's minified browser build, its stylesheet and its
/// MIT license, embedded in this assembly from <c>Experiments/Assets/</c> (copied from the npm package pinned in
/// <c>tools/chart-lib/</c> by <c>tools/fetch-chart-lib.sh</c>).
/// </summary>
internal static class ChartAssets
{
    private const string Prefix = "Phoebe.Runtime.Experiments.Assets.";

    private static readonly Lazy<string> script = new(() => Load("uPlot.iife.min.js"));
    private static readonly Lazy<string> style = new(() => Load("uPlot.min.css"));
    private static readonly Lazy<string> license = new(() => Load("uPlot.LICENSE"));

    /// <summary>uPlot's minified script (defines the global <c>uPlot</c>).</summary>
    public static string Script => script.Value;

    /// <summary>uPlot's stylesheet.</summary>
    public static string Style => style.Value;

    /// <summary>uPlot's license, which must accompany every copy.</summary>
    public static string License => license.Value;

    private static string Load(string name)
    {
        using var stream = typeof(ChartAssets).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"resource {Prefix + name} is missing from {typeof(ChartAssets).Assembly.GetName().Name}: run tools/fetch-chart-lib.sh");
        using var reader = new StreamReader(stream);
        string text = reader.ReadToEnd();
        // Inlined verbatim into <script>/<style>: a newer version must not be able to end its element early.
        if (text.Contains("</script", StringComparison.OrdinalIgnoreCase) || text.Contains("</style", StringComparison.OrdinalIgnoreCase)
            || text.Contains("<!--", StringComparison.Ordinal) || (name.EndsWith(".LICENSE", StringComparison.Ordinal) && text.Contains("*/", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{name} cannot be inlined into an HTML page as it is");
        }
        return text;
    }

}
