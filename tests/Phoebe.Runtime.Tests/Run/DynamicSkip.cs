using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Phoebe.Runtime.Tests.Run;

// xunit 2 can only skip a test statically (Skip = "..."); these tests learn at
// run time that the machine lacks a capability (no C compiler, no strace) or
// that a differential case is not deterministic. [SkippableFact] and
// [SkippableTheory] report a test that threw SkipException as skipped, with the
// reason, instead of passing it silently or failing it.

/// <summary>Thrown to skip the running test; only <see cref="SkippableFactAttribute"/> and <see cref="SkippableTheoryAttribute"/> tests turn it into a skip.</summary>
public sealed class SkipException(string reason) : Exception(reason);

/// <summary>Skips the running test with a reason.</summary>
public static class Skip
{
    /// <summary>Skips when <paramref name="condition"/> holds.</summary>
    public static void If([DoesNotReturnIf(true)] bool condition, string reason)
    {
        if (condition) throw new SkipException(reason);
    }

    /// <summary>Skips now.</summary>
    [DoesNotReturn]
    public static void Now(string reason) => throw new SkipException(reason);
}

/// <summary>A fact that may skip itself at run time with <see cref="Skip"/>.</summary>
[XunitTestCaseDiscoverer("Phoebe.Runtime.Tests.Run.SkippableFactDiscoverer", "Phoebe.Runtime.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class SkippableFactAttribute : FactAttribute;

/// <summary>A theory whose rows may skip themselves at run time with <see cref="Skip"/>.</summary>
[XunitTestCaseDiscoverer("Phoebe.Runtime.Tests.Run.SkippableTheoryDiscoverer", "Phoebe.Runtime.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class SkippableTheoryAttribute : TheoryAttribute;

/// <summary>Discovers <see cref="SkippableFactAttribute"/> tests.</summary>
public sealed class SkippableFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc/>
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new SkippableTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
}

/// <summary>Discovers <see cref="SkippableTheoryAttribute"/> tests, one test case per data row when the data serializes.</summary>
public sealed class SkippableTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc/>
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow) =>
        [new SkippableTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, dataRow)];

    /// <inheritdoc/>
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForTheory(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        [new SkippableTheoryTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)];
}

/// <summary>A fact, or one row of a theory, that may skip itself.</summary>
public sealed class SkippableTestCase : XunitTestCase
{
    /// <summary>For the deserializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippableTestCase() { }

    /// <summary>Creates the test case.</summary>
    public SkippableTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod, object[]? testMethodArguments = null)
        : base(diagnosticMessageSink, display, options, testMethod, testMethodArguments) { }

    /// <inheritdoc/>
    public override async Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        using var bus = new SkipAwareMessageBus(messageBus);
        var summary = await base.RunAsync(diagnosticMessageSink, bus, constructorArguments, aggregator, cancellationTokenSource);
        return bus.Adjust(summary);
    }
}

/// <summary>A theory whose data could not be enumerated at discovery; its rows may skip themselves.</summary>
public sealed class SkippableTheoryTestCase : XunitTheoryTestCase
{
    /// <summary>For the deserializer only.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippableTheoryTestCase() { }

    /// <summary>Creates the test case.</summary>
    public SkippableTheoryTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, options, testMethod) { }

    /// <inheritdoc/>
    public override async Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    {
        using var bus = new SkipAwareMessageBus(messageBus);
        var summary = await base.RunAsync(diagnosticMessageSink, bus, constructorArguments, aggregator, cancellationTokenSource);
        return bus.Adjust(summary);
    }
}

/// <summary>Turns "failed with SkipException" into "skipped" on its way to the runner.</summary>
internal sealed class SkipAwareMessageBus(IMessageBus inner) : IMessageBus
{
    private static readonly string SkipExceptionName = typeof(SkipException).FullName!;
    private int skipped;

    public bool QueueMessage(IMessageSinkMessage message)
    {
        if (message is ITestFailed failed && failed.ExceptionTypes.Length > 0 && failed.ExceptionTypes[0] == SkipExceptionName)
        {
            Interlocked.Increment(ref skipped);
            return inner.QueueMessage(new TestSkipped(failed.Test, failed.Messages[0]));
        }
        return inner.QueueMessage(message);
    }

    public RunSummary Adjust(RunSummary summary)
    {
        summary.Failed -= skipped;
        summary.Skipped += skipped;
        return summary;
    }

    public void Dispose() { } // the inner bus belongs to the runner
}
