using System.Text;
using Phoebe.Lang.Syntax;

namespace Phoebe.Lang.Formatting;

/// <summary>
/// Prints expressions as written, with canonical spacing. The syntax tree keeps
/// parentheses, so printing never changes how an expression groups.
/// </summary>
public static class ExprPrinter
{
    /// <summary>The canonical text of an expression.</summary>
    public static string Print(ExprNode e)
    {
        var sb = new StringBuilder();
        // Iterative over left-deep chains would be nicer; depth is bounded by the parser.
        Append(sb, e);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, ExprNode e)
    {
        switch (e)
        {
            case LiteralExpr l: sb.Append(l.Text); break;
            case NameExpr n: sb.Append(n.FullName); break;
            case CallExpr c:
                sb.Append(c.Function.Text).Append('(');
                for (int i = 0; i < c.Arguments.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Append(sb, c.Arguments[i]);
                }
                sb.Append(')');
                break;
            case ParenExpr p:
                sb.Append('(');
                Append(sb, p.Inner);
                sb.Append(')');
                break;
            case UnaryExpr u:
                sb.Append(u.OpText);
                if (u.OpText == "not") sb.Append(' ');
                // `- -x` must not become `--x`.
                else if (u.Operand is UnaryExpr inner && inner.OpText == u.OpText) sb.Append(' ');
                Append(sb, u.Operand);
                break;
            case BinaryExpr b:
                Append(sb, b.Left);
                sb.Append(' ').Append(b.OpText).Append(' ');
                Append(sb, b.Right);
                break;
        }
    }
}
