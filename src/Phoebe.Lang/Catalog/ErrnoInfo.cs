namespace Phoebe.Lang.Catalog;

/// <summary>A Linux error number.</summary>
/// <param name="Name">The symbolic name, e.g. <c>ENOENT</c>.</param>
/// <param name="Number">The value, the same on x86_64 and aarch64.</param>
/// <param name="Description">The kernel header's one-line description, e.g. <c>No such file or directory</c>.</param>
public sealed record ErrnoInfo(string Name, int Number, string Description)
{
    /// <summary>
    /// The canonical name when this one is an alias (<c>EWOULDBLOCK</c> is an alias of <c>EAGAIN</c>),
    /// otherwise <see langword="null"/>.
    /// </summary>
    public string? AliasOf { get; init; }

    /// <summary>Whether this name is an alias of another errno with the same number.</summary>
    public bool IsAlias => AliasOf is not null;
}
