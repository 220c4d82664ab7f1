using System.CommandLine;
using System.Text;
using System.Text.Json;
using Phoebe.Runtime.Doctor;

namespace Phoebe.Cli;

/// <summary><c>phoebe doctor [--format table|json]</c>: what this machine can do, found by trying each mechanism.</summary>
internal static class DoctorCommand
{
    /// <summary>Where a missing capability's error message sends the user.</summary>
    public const string Hint = "hint: `phoebe doctor` tells what this machine can do and how to fix what is missing";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var format = new Option<string>("--format") { Description = "table (default) or json, for scripts", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var command = new Command("doctor", "Tell what this machine can do for Phoebe: ptrace, seccomp, eBPF, BPF LSM, kprobes, privileges,\n" +
            "libbpf, the C compiler and Roslyn, each tried for real; what a missing one disables and how to fix it.\n" +
            "Exit code: 0 when everything the main job (phoebe experiment) needs is there, 1 otherwise.")
        {
            format,
        };
        command.SetAction(parse => Run(parse.GetValue(format) == "json", stdout, stderr));
        return command;
    }

    private static int Run(bool json, TextWriter stdout, TextWriter stderr)
    {
        if (!json) stderr.WriteLine("phoebe: trying every mechanism on this machine (a few seconds)...");
        var checks = MachineDoctor.Run();
        bool ready = MachineDoctor.MainJobReady(checks);
        stdout.Write(json ? Json(checks, ready) : Table(checks, ready));
        return ready ? ExitCodes.Ok : ExitCodes.Errors;
    }

    private static string Table(IReadOnlyList<MachineCheck> checks, bool ready)
    {
        int nameWidth = checks.Max(c => c.Name.Length);
        int statusWidth = Math.Max("status".Length, checks.Max(c => c.Status.Length));
        var text = new StringBuilder();
        text.Append("mechanism".PadRight(nameWidth)).Append("  ").Append("status".PadRight(statusWidth)).Append("  found\n");
        foreach (var c in checks)
        {
            text.Append(c.Name.PadRight(nameWidth)).Append("  ").Append(c.Status.PadRight(statusWidth)).Append("  ").Append(c.Detail).Append('\n');
            if (c.Available) continue;
            string indent = new(' ', nameWidth + statusWidth + 4);
            text.Append(indent).Append("used for: ").Append(c.Gives).Append('\n');
            if (c.Fix is { } fix) text.Append(indent).Append("fix: ").Append(fix).Append('\n');
        }
        text.Append('\n');
        var missing = checks.Where(c => c.MainJob && !c.Available).Select(c => c.Name).ToList();
        text.Append(ready
            ? "The main job (phoebe experiment) can run here.\n"
            : $"The main job (phoebe experiment) cannot run here: {string.Join(", ", missing)} missing.\n");
        return text.ToString();
    }

    private static string Json(IReadOnlyList<MachineCheck> checks, bool ready)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteBoolean("mainJobReady", ready);
            w.WriteStartArray("checks");
            foreach (var c in checks)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteBoolean("available", c.Available);
                w.WriteString("detail", c.Detail);
                w.WriteString("usedFor", c.Gives);
                if (c.Fix is { } fix) w.WriteString("fix", fix);
                else w.WriteNull("fix");
                w.WriteBoolean("mainJob", c.MainJob);
                w.WriteNumber("milliseconds", Math.Round(c.Took.TotalMilliseconds, 1));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
