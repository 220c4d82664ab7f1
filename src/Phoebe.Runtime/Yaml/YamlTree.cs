using Phoebe.Lang.Diagnostics;
using Phoebe.Lang.Syntax;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using Phoebe.Runtime.Profiles;

namespace Phoebe.Runtime.Yaml;

/// <summary>A YAML node with its span in the source text.</summary>
internal abstract record YamlNode(TextSpan Span)
{
    /// <summary>What the node is, in words for messages ("a list", "the text `x`").</summary>
    public abstract string Describe();
}

/// <summary>A scalar: its text, and whether it was written plain (unquoted), which is what makes it a number.</summary>
internal sealed record YamlScalar(string Value, bool Plain, TextSpan Span) : YamlNode(Span)
{
    /// <summary>An empty plain scalar, <c>~</c> or <c>null</c>: no value.</summary>
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "nothing" : Plain ? $"`{Value}`" : $"the string \"{Value}\"";
}

/// <summary>A mapping; keys are scalars, in source order, each at most once.</summary>
internal sealed record YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries, TextSpan Span) : YamlNode(Span)
{
    public override string Describe() => "a mapping";
}

/// <summary>A sequence.</summary>
internal sealed record YamlSequence(IReadOnlyList<YamlNode> Items, TextSpan Span) : YamlNode(Span)
{
    public override string Describe() => "a list";
}

/// <summary>
/// Builds a <see cref="YamlNode"/> tree from YamlDotNet's parser events, keeping
/// every node's span (YamlDotNet's representation model throws at the first
/// duplicate key; here a duplicate key is a diagnostic and reading goes on).
/// Syntax errors end the read: YAML has no useful recovery.
/// </summary>
internal sealed class YamlTreeReader
{
    // Deeper than any profile; stops `[[[[...` from exhausting the stack.
    private const int MaxDepth = 64;

    private readonly SourceText source;
    private readonly DiagnosticBag bag;
    private readonly string document;
    private readonly Dictionary<string, YamlNode> anchors = new(StringComparer.Ordinal);

    private YamlTreeReader(SourceText source, DiagnosticBag bag, string document)
    {
        this.source = source;
        this.bag = bag;
        this.document = document;
    }

    /// <summary>
    /// Reads the single document of <paramref name="source"/>. Returns <see langword="null"/> after reporting
    /// a syntax error, or when the text holds no document (nothing reported then). <paramref name="document"/>
    /// names the kind of file in messages ("a profile").
    /// </summary>
    public static YamlNode? Read(SourceText source, DiagnosticBag bag, string document) => new YamlTreeReader(source, bag, document).ReadStream();

    private YamlNode? ReadStream()
    {
        var parser = new Parser(new StringReader(source.Text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _)) return null;
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 0);
            if (root is null) return null;
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                bag.Report(ProfileDiagnostics.InvalidYaml, source, SpanOf(second.Start, second.End), $"{document} is one YAML document; this is a second one",
                    "remove the `---` and what follows, or split the file");
                return null;
            }
            return root;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's parser gives up this way on some malformed input (found by fuzzing) instead of
            // with a YamlException; the last event it produced is the best place to point at.
            var at = parser.Current;
            var span = at is null ? new TextSpan(source.Text.Length, 0) : SpanOf(at.Start, at.End);
            bag.Report(ProfileDiagnostics.InvalidYaml, source, span, "invalid YAML: the parser could not continue here");
            return null;
        }
        catch (YamlException e)
        {
            // YamlDotNet's messages end in a full stop and sometimes repeat the position; keep them as they are.
            bag.Report(ProfileDiagnostics.InvalidYaml, source, SpanOf(e.Start, e.End), $"invalid YAML: {Clean(e.Message)}");
            return null;
        }
    }

    private YamlNode? ReadNode(IParser parser, int depth)
    {
        var current = parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
        if (depth > MaxDepth)
        {
            bag.Report(ProfileDiagnostics.InvalidYaml, source, SpanOf(current.Start, current.End), $"the YAML nests deeper than {MaxDepth} levels");
            return null;
        }
        switch (current)
        {
            case AnchorAlias alias:
            {
                parser.MoveNext();
                if (anchors.TryGetValue(alias.Value.Value, out var target)) return target;
                bag.Report(ProfileDiagnostics.InvalidYaml, source, SpanOf(alias.Start, alias.End), $"invalid YAML: the alias `*{alias.Value.Value}` names no anchor before it");
                return null;
            }
            case Scalar scalar:
            {
                parser.MoveNext();
                return Anchor(scalar, new YamlScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, SpanOf(scalar.Start, scalar.End)));
            }
            case SequenceStart start:
            {
                parser.MoveNext();
                var items = new List<YamlNode>();
                while (!parser.Accept<SequenceEnd>(out _))
                {
                    var item = ReadNode(parser, depth + 1);
                    if (item is null) return null;
                    items.Add(item);
                }
                var sequenceEnd = parser.Consume<SequenceEnd>();
                return Anchor(start, new YamlSequence(items, SpanOf(start.Start, sequenceEnd.End)));
            }
            case MappingStart start:
            {
                parser.MoveNext();
                var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
                var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
                while (!parser.Accept<MappingEnd>(out _))
                {
                    var keyNode = ReadNode(parser, depth + 1);
                    if (keyNode is null) return null;
                    var value = ReadNode(parser, depth + 1);
                    if (value is null) return null;
                    if (keyNode is not YamlScalar key || key.IsNull)
                    {
                        bag.Report(ProfileDiagnostics.WrongType, source, keyNode.Span, $"a field name must be a word, not {keyNode.Describe()}");
                        continue;
                    }
                    if (seen.TryGetValue(key.Value, out var first))
                    {
                        bag.Report(ProfileDiagnostics.DuplicateField, source, key.Span, $"the field `{key.Value}` is given twice",
                            new DiagnosticLabel(source, first.Span, $"`{key.Value}` is first given here"), "keep one of them");
                        continue;
                    }
                    seen.Add(key.Value, key);
                    entries.Add(new(key, value));
                }
                var mappingEnd = parser.Consume<MappingEnd>();
                return Anchor(start, new YamlMapping(entries, SpanOf(start.Start, mappingEnd.End)));
            }
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
    }

    private YamlNode Anchor(NodeEvent e, YamlNode node)
    {
        if (!e.Anchor.IsEmpty) anchors[e.Anchor.Value] = node;
        return node;
    }

    private TextSpan SpanOf(Mark start, Mark end)
    {
        int from = (int)Math.Clamp(start.Index, 0, source.Text.Length);
        int to = (int)Math.Clamp(end.Index, from, source.Text.Length);
        return TextSpan.FromBounds(from, to);
    }

    private static string Clean(string message)
    {
        // "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): While scanning ..." -> "while scanning ..."
        int marker = message.IndexOf("): ", StringComparison.Ordinal);
        if (message.StartsWith("(Line:", StringComparison.Ordinal) && marker >= 0) message = message[(marker + 3)..];
        message = message.Trim().TrimEnd('.');
        return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : "syntax error";
    }
}
