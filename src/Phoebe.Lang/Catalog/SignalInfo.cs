namespace Phoebe.Lang.Catalog;

/// <summary>A Linux signal (x86_64 numbering).</summary>
/// <param name="Name">The symbolic name, e.g. <c>SIGTERM</c>.</param>
/// <param name="Number">The signal number on x86_64.</param>
/// <param name="Description">The C library's description (<c>strsignal</c>), e.g. <c>Terminated</c>.</param>
public sealed record SignalInfo(string Name, int Number, string Description)
{
    /// <summary>
    /// The canonical name when this one is an alias (<c>SIGIOT</c> is an alias of <c>SIGABRT</c>),
    /// otherwise <see langword="null"/>.
    /// </summary>
    public string? AliasOf { get; init; }

    /// <summary>Whether this name is an alias of another signal with the same number.</summary>
    public bool IsAlias => AliasOf is not null;
}
