using System.Runtime.CompilerServices;
using Antlr4.Runtime;

namespace Phoebe.Lang.Syntax.Generated;

/// <summary>Thrown when input nests so deeply that parsing would exhaust the stack.</summary>
internal sealed class NestingTooDeepException(IToken at) : Exception("nesting too deep")
{
    public IToken At { get; } = at;
}

// The recursive-descent parser recurses once per nesting level. Nesting is
// bounded before parsing (see PhbParser), and this guard turns any remaining
// stack exhaustion into a diagnostic instead of a crash.
internal partial class PhoebeParser
{
    public override void EnterRule(ParserRuleContext localctx, int state, int ruleIndex)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw new NestingTooDeepException(CurrentToken);
        base.EnterRule(localctx, state, ruleIndex);
    }

    public override void EnterRecursionRule(ParserRuleContext localctx, int state, int ruleIndex, int precedence)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw new NestingTooDeepException(CurrentToken);
        base.EnterRecursionRule(localctx, state, ruleIndex, precedence);
    }
}
