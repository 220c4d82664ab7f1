namespace Phoebe.Bench;

// The benchmark's own small model of a rule. The generator builds rules as data so
// that the same rules can be written both as .phb text and as JSON (the reference).

/// <summary>One generated rule.</summary>
/// <param name="Targets">Syscall names, or <c>%class</c> names.</param>
/// <param name="Phase"><c>ENTRY</c>, <c>EXIT</c>, or null when omitted (ENTRY).</param>
internal sealed record GenRule(
    string Name,
    IReadOnlyList<string> Targets,
    string? Phase,
    GenExpr? Condition,
    IReadOnlyList<GenAction> Actions,
    string? Comment,
    bool MultiLine,
    bool EndRule);

internal abstract record GenExpr;

/// <summary>A binary operator as written (<c>&amp;&amp;</c>, <c>and</c>, <c>==</c>, <c>~</c>, <c>=~</c>, <c>*</c>, ...).</summary>
internal sealed record GenBinary(string Op, GenExpr Left, GenExpr Right) : GenExpr;

/// <summary>A prefix operator: <c>!</c>, <c>not</c> or <c>-</c>.</summary>
internal sealed record GenUnary(string Op, GenExpr Operand) : GenExpr;

/// <summary>Parentheses as written; the JSON encoding needs none (its nesting is the tree).</summary>
internal sealed record GenParen(GenExpr Inner) : GenExpr;

/// <summary>A name: <c>arg0</c>, <c>path</c>, <c>observed.max</c>, an errno such as <c>EAGAIN</c>.</summary>
internal sealed record GenName(string Text) : GenExpr;

/// <summary>A function call (only <c>chance</c> exists).</summary>
internal sealed record GenCall(string Function, GenExpr Argument) : GenExpr;

/// <summary>The kinds of literal the generator writes.</summary>
internal enum LitKind { Int, Hex, Float, Percentage, Duration, String, RawString }

/// <summary>A literal; <see cref="Text"/> is the source text without quotes.</summary>
internal sealed record GenLiteral(LitKind Kind, string Text) : GenExpr;

internal abstract record GenAction;

/// <summary><c>return ERRNO</c> or <c>return N</c>.</summary>
internal sealed record GenReturn(string Value, bool IsErrno) : GenAction;

/// <summary><c>delay 10ms</c>.</summary>
internal sealed record GenDelay(string Duration) : GenAction;

/// <summary><c>log "text"</c>.</summary>
internal sealed record GenLog(string Message) : GenAction;

/// <summary><c>signal SIGNAME</c>.</summary>
internal sealed record GenSignal(string Name) : GenAction;
