using System.Text;

namespace Phoebe.Lang.Tests.Fuzz;

/// <summary>Generates mostly valid rule files from the language's shapes (seeded).</summary>
internal sealed class RuleGenerator(Random r)
{
    private static readonly string[] Syscalls = ["openat", "read", "write", "close", "futex", "connect", "sendto", "mmap", "clone", "fsync", "getpid"];
    private static readonly string[] Classes = ["%file", "%desc", "%network", "%memory", "%process"];
    private static readonly string[] Errnos = ["ENOENT", "EIO", "EACCES", "ETIMEDOUT", "EAGAIN", "ENOMEM", "ECONNRESET", "EINTR", "ENOSPC"];
    private static readonly string[] Signals = ["SIGTERM", "SIGUSR1", "SIGKILL", "SIGSEGV"];
    private static readonly string[] Names = ["arg0", "arg1", "arg5", "pid", "tid", "call", "injected", "fd", "retval"];
    private int counter;

    public string File(int rules)
    {
        var sb = new StringBuilder();
        if (r.Next(5) == 0) sb.Append("# generated\n");
        for (int i = 0; i < rules; i++)
        {
            sb.Append(r.Next(8) == 0 ? Health() : Rule());
            sb.Append(r.Next(3) switch { 0 => "\n", 1 => "\n\n", _ => " " });
        }
        return sb.ToString();
    }

    private string Health()
        => $"HEALTH h{counter++}{(r.Next(2) == 0 ? " EVERY " + Duration() : "")}{(r.Next(2) == 0 ? " TIMEOUT " + Duration() : "")} " +
           (r.Next(3) switch
           {
               0 => "{ return true; }",
               1 => "{ var s = \"}\"; return $\"{s}\" != \"{{\"; }",
               _ => "{\n  // }\n  return '}' == '}';\n}",
           });

    private string Rule()
    {
        var sb = new StringBuilder($"RULE r{counter++}");
        sb.Append(r.Next(3) == 0 ? "\n" : " ").Append("ON ");
        sb.Append(r.Next(6) switch
        {
            0 => Classes[r.Next(Classes.Length)],
            1 => Syscalls[r.Next(Syscalls.Length)] + ", " + Syscalls[r.Next(Syscalls.Length)],
            _ => Syscalls[r.Next(Syscalls.Length)],
        });
        bool exit = r.Next(3) == 0;
        if (exit) sb.Append(" EXIT");
        else if (r.Next(3) == 0) sb.Append(" ENTRY");
        if (r.Next(3) != 0)
        {
            if (r.Next(4) == 0) sb.Append(" # why\n");
            sb.Append(" IF ").Append(Condition(3));
        }
        sb.Append(r.Next(4) == 0 ? "\n" : " ").Append("DO ");
        int actions = r.Next(1, 4);
        for (int i = 0; i < actions; i++)
        {
            if (i > 0) sb.Append("; ");
            bool last = i == actions - 1;
            sb.Append(r.Next(last ? 6 : 4) switch
            {
                0 => $"delay {Duration()}",
                1 => $"log \"step {i}\"",
                2 => $"signal {Signals[r.Next(Signals.Length)]}",
                3 => "delay 1ms",
                4 => $"return {r.Next(0, 3)}",
                _ => $"return {Errnos[r.Next(Errnos.Length)]}",
            });
        }
        if (r.Next(2) == 0) sb.Append(" ENDRULE");
        return sb.ToString();
    }

    private string Condition(int depth)
    {
        if (depth == 0 || r.Next(3) == 0) return Comparison();
        return r.Next(5) switch
        {
            0 => $"{Condition(depth - 1)} && {Condition(depth - 1)}",
            1 => $"{Condition(depth - 1)} or {Condition(depth - 1)}",
            2 => $"!({Condition(depth - 1)})",
            3 => $"not {Comparison()}",
            _ => $"({Condition(depth - 1)})",
        };
    }

    private string Comparison() => r.Next(9) switch
    {
        0 => $"{Names[r.Next(Names.Length)]} {Op()} {r.Next(-2, 100)}",
        1 => $"path ~ \"/tmp/*\"",
        2 => $"path =~ '^/etc/.*\\.conf$'",
        3 => $"chance({r.Next(0, 101)}%)",
        4 => $"rate < observed.max * 1.{r.Next(10)}",
        5 => $"elapsed > {Duration()}",
        6 => $"comm == \"redis-server\"",
        7 => $"retval == -{Errnos[r.Next(Errnos.Length)]}",
        _ => $"call == {r.Next(1, 10)}",
    };

    private string Op() => new[] { "==", "!=", "<", "<=", ">", ">=" }[r.Next(6)];

    private string Duration() => $"{r.Next(0, 500)}{new[] { "ns", "us", "ms", "s", "m" }[r.Next(5)]}";
}
