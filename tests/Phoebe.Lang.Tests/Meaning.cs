using System.Text;
using Phoebe.Lang.Plan;

namespace Phoebe.Lang.Tests;

/// <summary>
/// What a compilation means, without source positions: diagnostic codes and the
/// plan. Formatting must not change it.
/// </summary>
internal static class Meaning
{
    public static string Of(CompilationResult result)
    {
        var sb = new StringBuilder();
        sb.Append("codes: ").AppendJoin(',', result.Diagnostics.Select(d => d.Code).Order(StringComparer.Ordinal)).Append('\n');
        if (result.Plan is { } plan)
        {
            foreach (var r in plan.Rules)
            {
                sb.Append($"rule {r.Name} {r.Phase} [{string.Join(',', r.Syscalls.Select(s => s.Name))}] " +
                          $"[{string.Join(',', r.Functions.Select(f => f.Function + "@" + f.Library))}] " +
                          $"filter={r.Filter} control={r.Control} actions={string.Join(';', r.Actions)} errno={r.Errno} " +
                          $"backends={string.Join(',', r.Backends.Select(b => b.Backend))}\n");
            }
            foreach (var h in plan.HealthChecks)
            {
                sb.Append($"health {h.Name} every={h.Every} timeout={h.Timeout} body={h.Body}\n");
            }
        }
        return sb.ToString();
    }
}
