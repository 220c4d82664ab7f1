using System.Text.Json.Nodes;

namespace Phoebe.Bench;

/// <summary>Helpers for the JSON reference.</summary>
internal static class JsonTree
{
    /// <summary>
    /// Counts the nodes of a tree. <see cref="JsonNode.Parse(string, JsonNodeOptions?, System.Text.Json.JsonDocumentOptions)"/>
    /// materialises children lazily; walking every node makes it build the whole tree, as a parser building an AST does.
    /// </summary>
    public static int CountNodes(JsonNode? node) => node switch
    {
        JsonObject o => 1 + o.Sum(p => CountNodes(p.Value)),
        JsonArray a => 1 + a.Sum(CountNodes),
        null => 1,
        _ => 1,
    };
}
