using System.Text.Json;
using System.Text.Json.Nodes;
using Phoebe.Runtime.Experiments;
using Phoebe.Runtime.Scenarios;

namespace Phoebe.Runtime.Tests.Experiments;

/// <summary>report.json: its shape (docs/reports.md), and reading it back gives the same report.</summary>
public class ReportJsonTests
{
    [Fact]
    public void Round_trip_gives_the_same_report()
    {
        var report = SampleReports.Campaign();
        string json = ReportJson.ToJson(report);
        var back = ReportJson.Read(json);
        AssertSame(report, back);
        Assert.Equal(json, ReportJson.ToJson(back));
    }

    [Fact]
    public void Round_trip_keeps_exact_times_odd_values_and_a_local_start()
    {
        var campaign = SampleReports.Campaign();
        var sample = new CheckSample(TimeSpan.FromTicks(1_234_567_891), false, double.NaN, "line 1\nline 2 \"quoted\" </script> \u00e9\u2028", 0.001);
        var report = campaign with
        {
            Duration = TimeSpan.FromTicks(9_876_543_210_123),
            SteadyState = new PhaseResult(TimeSpan.FromTicks(1), TimeSpan.FromTicks(33_333_333_333), [
                new CheckSummary("ping", 2, 1, [sample, sample with { Ok = true, Value = double.NegativeInfinity, Message = null }]),
            ]),
            StartedUtc = new DateTime(2025, 3, 4, 5, 6, 7, 891, DateTimeKind.Utc).AddTicks(2345),
        };
        var back = ReportJson.Read(ReportJson.ToJson(report));
        AssertSame(report, back);
        Assert.Equal(TimeSpan.FromTicks(1_234_567_891), back.SteadyState.Checks[0].Samples[0].At);
        Assert.True(double.IsNaN(back.SteadyState.Checks[0].Samples[0].Value!.Value));
        Assert.Equal(DateTimeKind.Utc, back.StartedUtc.Kind);

        // A start given in local time is written in UTC.
        var local = report.StartedUtc.ToLocalTime();
        Assert.Equal(report.StartedUtc, ReportJson.Read(ReportJson.ToJson(report with { StartedUtc = local })).StartedUtc);
    }

    [Fact]
    public void Shape_is_camel_case_with_lower_case_verdicts_seconds_and_the_gate()
    {
        var json = JsonNode.Parse(ReportJson.ToJson(SampleReports.Campaign()))!.AsObject();
        Assert.Equal(
            ["version", "scenario", "scenarioPath", "target", "startedUtc", "durationSeconds", "seed", "tolerance", "worst", "allow",
             "failed", "interrupted", "restarts", "steadyState", "experiments", "skipped"],
            json.Select(p => p.Key));
        Assert.Equal(1, (int)json["version"]!);
        Assert.Equal("corrupted", (string)json["worst"]!);
        Assert.Equal("degraded", (string)json["allow"]!);
        Assert.True((bool)json["failed"]!);
        Assert.True((bool)json["interrupted"]!);
        Assert.Equal("18446744073709551615", (string)json["seed"]!);
        Assert.Equal(83.25, (double)json["durationSeconds"]!);
        Assert.Equal("2025-03-04T05:06:07Z", (string)json["startedUtc"]!);

        var experiments = json["experiments"]!.AsArray();
        Assert.Equal(["resilient", "crashed", "degraded", "corrupted", "resilient"], experiments.Select(e => (string)e!["verdict"]!));
        var crashed = experiments[1]!;
        Assert.Equal("disk|full", (string)crashed["name"]!);
        Assert.Null(crashed["rate"]);
        Assert.Null(crashed["postInspection"]);
        Assert.True(crashed.AsObject().ContainsKey("postInspection"));
        Assert.Equal("exited with 139", (string)crashed["crashReason"]!);
        Assert.Equal(24, (double)crashed["window"]!["startSeconds"]!);
        Assert.Equal(28, (double)crashed["window"]!["endSeconds"]!);
        var ping = crashed["window"]!["checks"]![0]!;
        Assert.Equal(["check", "runs", "failures", "failureRatio", "successRatio", "samples"], ping.AsObject().Select(p => p.Key));
        Assert.Equal(0.5, (double)ping["failureRatio"]!);
        Assert.Equal(["atSeconds", "ok", "value", "message", "durationMs"], ping["samples"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(24.25, (double)ping["samples"]![0]!["atSeconds"]!);
        Assert.Equal(["atSeconds", "injections"], crashed["injectionTimeline"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(0.05, (double)experiments[0]!["rate"]!);
        Assert.Equal("sporadic", (string)experiments[0]!["case"]!);
        Assert.Equal("never_ran", (string)json["skipped"]![0]!["name"]!);
    }

    [Fact]
    public void Worst_and_failed_follow_the_verdicts()
    {
        var campaign = SampleReports.Campaign();
        var passing = JsonNode.Parse(ReportJson.ToJson(campaign with { Allow = Verdict.Corrupted }))!;
        Assert.False((bool)passing["failed"]!);
        var empty = JsonNode.Parse(ReportJson.ToJson(campaign with { Experiments = [], Allow = Verdict.Resilient }))!;
        Assert.Equal("resilient", (string)empty["worst"]!);
        Assert.False((bool)empty["failed"]!);
    }

    [Fact]
    public void Reader_rejects_other_versions_and_broken_reports()
    {
        var json = JsonNode.Parse(ReportJson.ToJson(SampleReports.Campaign()))!.AsObject();

        json["version"] = 2;
        var e = Assert.Throws<InvalidDataException>(() => ReportJson.Read(json.ToJsonString()));
        Assert.Equal("report version 2 is not supported (this Phoebe reads version 1)", e.Message);

        json["version"] = 1;
        json.Remove("scenario");
        e = Assert.Throws<InvalidDataException>(() => ReportJson.Read(json.ToJsonString()));
        Assert.Contains("scenario", e.Message);

        json["scenario"] = "x";
        json["experiments"]![0]!["verdict"] = "fine";
        e = Assert.Throws<InvalidDataException>(() => ReportJson.Read(json.ToJsonString()));
        Assert.Contains("unknown verdict \"fine\"", e.Message);

        Assert.Throws<InvalidDataException>(() => ReportJson.Read("{\"version\": 1"));
        Assert.Throws<InvalidDataException>(() => ReportJson.Read("[]"));
    }

    [Fact]
    public void Reader_ignores_fields_it_does_not_know_and_the_computed_ones()
    {
        var json = JsonNode.Parse(ReportJson.ToJson(SampleReports.Campaign()))!.AsObject();
        json["addedLater"] = new JsonObject { ["x"] = 1 };
        // Computed values are recomputed from what was measured, not trusted.
        json["worst"] = "resilient";
        json["steadyState"]!["checks"]![0]!["failureRatio"] = 0.99;
        var back = ReportJson.Read(json.ToJsonString());
        Assert.Equal(Verdict.Corrupted, back.Worst);
        Assert.Equal(0, back.SteadyState.Checks[0].FailureRatio);
    }

    /// <summary>Field by field, through every list (records compare lists by reference).</summary>
    internal static void AssertSame(CampaignReport expected, CampaignReport actual)
    {
        Assert.Equal(
            (expected.Scenario, expected.ScenarioPath, expected.Target, expected.StartedUtc, expected.Duration, expected.Seed, expected.Tolerance, expected.Restarts, expected.Interrupted, expected.Allow),
            (actual.Scenario, actual.ScenarioPath, actual.Target, actual.StartedUtc, actual.Duration, actual.Seed, actual.Tolerance, actual.Restarts, actual.Interrupted, actual.Allow));
        AssertSame(expected.SteadyState, actual.SteadyState);
        Assert.Equal(expected.Experiments.Count, actual.Experiments.Count);
        foreach (var (e, a) in expected.Experiments.Zip(actual.Experiments))
        {
            Assert.Equal(
                (e.Name, e.Syscall, e.Errno, e.Rate, e.Case, e.RandomBaseline, e.Injections, e.Calls, e.Crashed, e.CrashReason, e.Corrupted, e.Restarted, e.Verdict, e.Why),
                (a.Name, a.Syscall, a.Errno, a.Rate, a.Case, a.RandomBaseline, a.Injections, a.Calls, a.Crashed, a.CrashReason, a.Corrupted, a.Restarted, a.Verdict, a.Why));
            Assert.Equal(e.Rules, a.Rules);
            AssertSame(e.Window, a.Window);
            Assert.Equal(e.PostInspection is null, a.PostInspection is null);
            if (e.PostInspection is not null) AssertSame(e.PostInspection, a.PostInspection!);
            Assert.Equal(e.InjectionTimeline, a.InjectionTimeline);
        }
        Assert.Equal(expected.Skipped, actual.Skipped);
    }

    private static void AssertSame(PhaseResult expected, PhaseResult actual)
    {
        Assert.Equal((expected.Start, expected.End), (actual.Start, actual.End));
        Assert.Equal(expected.Checks.Count, actual.Checks.Count);
        foreach (var (e, a) in expected.Checks.Zip(actual.Checks))
        {
            Assert.Equal((e.Check, e.Runs, e.Failures), (a.Check, a.Runs, a.Failures));
            Assert.Equal(e.Samples, a.Samples); // CheckSample has no lists: record equality (NaN equals NaN there)
        }
    }
}
