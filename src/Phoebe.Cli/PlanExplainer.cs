using System.Text;
using Phoebe.Lang.Plan;
using Phoebe.Lang.Syntax;

namespace Phoebe.Cli;

/// <summary>Renders an injection plan for <c>phoebe check --explain</c>.</summary>
public static class PlanExplainer
{
    /// <summary>The text of <c>--explain</c> for a plan.</summary>
    public static string Explain(InjectionPlan plan)
    {
        var sb = new StringBuilder();
        foreach (var rule in plan.Rules)
        {
            sb.Append($"rule {rule.Name}  ({rule.Location})\n");
            if (!rule.Syscalls.IsEmpty)
            {
                string head = rule.Syscalls.Length == 1 ? "syscall" : $"syscalls ({rule.Syscalls.Length})";
                Field(sb, head, Wrap(rule.Syscalls.Select(FormatSyscall)));
            }
            if (!rule.Functions.IsEmpty)
            {
                Field(sb, "functions", string.Join(", ", rule.Functions.Select(f => $"{f.Function}@{f.Library}")));
            }
            Field(sb, "phase", rule.Phase == Phase.Exit
                ? "EXIT (the call runs; its result is replaced)"
                : "ENTRY (the call does not run when the rule returns)");
            Field(sb, "per-call", rule.Filter is null ? "always" : $"{rule.Filter}   [decided at each call]");
            Field(sb, "control", rule.Control is null ? "always" : $"{rule.Control}   [decided once per tick]");
            Field(sb, "actions", string.Join("; ", rule.Actions.Select(a => a.ToString())));
            if (rule.Errno is { } errno && rule.Syscalls.Length > 0 && rule.UsesObservations())
            {
                Field(sb, "measures", $"rate and observed.* of ({string.Join("|", rule.Syscalls.Take(3).Select(s => s.Name))}{(rule.Syscalls.Length > 3 ? "|..." : "")}, {errno})");
            }
            if (rule.Backends.IsEmpty)
            {
                Field(sb, "backend", "none");
            }
            else
            {
                var best = rule.Backends[0];
                Field(sb, "backend", $"{Name(best.Backend)}: {best.Reason}");
                foreach (var other in rule.Backends.Skip(1)) Field(sb, "fallback", $"{Name(other.Backend)}: {other.Reason}");
            }
            sb.Append('\n');
        }
        foreach (var h in plan.HealthChecks)
        {
            sb.Append($"health {h.Name}  ({h.Location})\n");
            Field(sb, "every", FormatTime(h.Every));
            Field(sb, "timeout", FormatTime(h.Timeout));
            int lines = h.Body.Split('\n').Length;
            Field(sb, "body", $"{lines} line{(lines == 1 ? "" : "s")} of C# at {h.BodyLocation}");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The short name of a backend.</summary>
    public static string Name(Backend b) => b switch
    {
        Backend.SeccompErrno => "seccomp-errno",
        Backend.SeccompNotify => "seccomp-notify",
        Backend.Ptrace => "ptrace",
        _ => "preload",
    };

    private static string FormatSyscall(SyscallRef s)
    {
        string x86 = s.X86_64?.ToString() ?? "-";
        string arm = s.Aarch64?.ToString() ?? "-";
        return $"{s.Name} (x86_64 {x86}, aarch64 {arm})";
    }

    private static string FormatTime(TimeSpan t) => Lang.Semantics.Value.FormatDuration(t.Ticks * 100);

    private static void Field(StringBuilder sb, string name, string value)
        => sb.Append("  ").Append((name + ":").PadRight(10)).Append(' ').Append(value).Append('\n');

    private static string Wrap(IEnumerable<string> items)
    {
        var sb = new StringBuilder();
        int col = 0;
        foreach (var item in items)
        {
            if (col > 0 && col + item.Length + 2 > 90)
            {
                sb.Append(",\n").Append(' ', 13);
                col = 0;
            }
            else if (col > 0)
            {
                sb.Append(", ");
                col += 2;
            }
            sb.Append(item);
            col += item.Length;
        }
        return sb.ToString();
    }
}
