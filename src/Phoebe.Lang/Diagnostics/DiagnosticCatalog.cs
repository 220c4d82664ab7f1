using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Phoebe.Lang.Diagnostics;

/// <summary>
/// Every diagnostic Phoebe's language can report, with its stable code.
/// PHB0xxx: syntax. PHB1xxx: meaning (names, types, values). PHB2xxx: plan and backends.
/// Codes are never reused; docs/language.md lists them all.
/// </summary>
public static class DiagnosticCatalog
{
    // ---- syntax
    /// <summary>A character that no token starts with.</summary>
    public static readonly DiagnosticDescriptor UnexpectedCharacter = new("PHB0001", Severity.Error, "unexpected character");
    /// <summary>A token where the grammar wants something else.</summary>
    public static readonly DiagnosticDescriptor SyntaxError = new("PHB0002", Severity.Error, "syntax error");
    /// <summary>A string literal without its closing quote.</summary>
    public static readonly DiagnosticDescriptor UnterminatedString = new("PHB0003", Severity.Error, "unterminated string");
    /// <summary>A HEALTH block whose C# body never closes.</summary>
    public static readonly DiagnosticDescriptor UnterminatedCSharpBlock = new("PHB0004", Severity.Error, "unterminated C# block");
    /// <summary>Input nested deeper than the parser accepts.</summary>
    public static readonly DiagnosticDescriptor NestingTooDeep = new("PHB0005", Severity.Error, "nesting too deep");
    /// <summary>A numeric literal that does not fit its type.</summary>
    public static readonly DiagnosticDescriptor InvalidNumber = new("PHB0006", Severity.Error, "invalid number");
    /// <summary>An unknown escape sequence in a string.</summary>
    public static readonly DiagnosticDescriptor InvalidEscape = new("PHB0007", Severity.Error, "invalid escape sequence");
    /// <summary>Too many errors in one file.</summary>
    public static readonly DiagnosticDescriptor TooManyErrors = new("PHB0008", Severity.Note, "too many errors");
    /// <summary>A file that cannot be read as text.</summary>
    public static readonly DiagnosticDescriptor NotText = new("PHB0009", Severity.Error, "not a text file");

    // ---- meaning
    /// <summary>A syscall name that no architecture has.</summary>
    public static readonly DiagnosticDescriptor UnknownSyscall = new("PHB1001", Severity.Error, "unknown syscall");
    /// <summary>An errno name that does not exist.</summary>
    public static readonly DiagnosticDescriptor UnknownErrno = new("PHB1002", Severity.Error, "unknown errno");
    /// <summary>A signal name that does not exist.</summary>
    public static readonly DiagnosticDescriptor UnknownSignal = new("PHB1003", Severity.Error, "unknown signal");
    /// <summary>A syscall class that does not exist.</summary>
    public static readonly DiagnosticDescriptor UnknownClass = new("PHB1004", Severity.Error, "unknown syscall class");
    /// <summary>A name in an expression that means nothing.</summary>
    public static readonly DiagnosticDescriptor UnknownName = new("PHB1005", Severity.Error, "unknown name");
    /// <summary>A call of a function that does not exist.</summary>
    public static readonly DiagnosticDescriptor UnknownFunction = new("PHB1006", Severity.Error, "unknown function");
    /// <summary>A function called with the wrong number of arguments.</summary>
    public static readonly DiagnosticDescriptor ArgumentCount = new("PHB1007", Severity.Error, "wrong number of arguments");
    /// <summary>An operator or function applied to values of the wrong type.</summary>
    public static readonly DiagnosticDescriptor TypeMismatch = new("PHB1008", Severity.Error, "type mismatch");
    /// <summary>A condition that is not a bool.</summary>
    public static readonly DiagnosticDescriptor ConditionNotBool = new("PHB1009", Severity.Error, "condition is not a bool");
    /// <summary><c>retval</c> used where the syscall has not returned yet.</summary>
    public static readonly DiagnosticDescriptor RetvalAtEntry = new("PHB1010", Severity.Error, "retval in an ENTRY rule");
    /// <summary>A constant probability outside [0, 1].</summary>
    public static readonly DiagnosticDescriptor ProbabilityRange = new("PHB1011", Severity.Error, "probability out of range");
    /// <summary>A negative delay.</summary>
    public static readonly DiagnosticDescriptor NegativeDelay = new("PHB1012", Severity.Error, "negative delay");
    /// <summary>Two rules (or two health checks) with one name.</summary>
    public static readonly DiagnosticDescriptor DuplicateName = new("PHB1013", Severity.Error, "duplicate name");
    /// <summary>An action after <c>return</c>.</summary>
    public static readonly DiagnosticDescriptor ReturnNotLast = new("PHB1014", Severity.Error, "return is not the last action");
    /// <summary>Files that import each other.</summary>
    public static readonly DiagnosticDescriptor ImportCycle = new("PHB1015", Severity.Error, "import cycle");
    /// <summary>An import that names no readable file or stdlib module.</summary>
    public static readonly DiagnosticDescriptor ImportNotFound = new("PHB1016", Severity.Error, "import not found");
    /// <summary>An errno the syscall's man page does not list.</summary>
    public static readonly DiagnosticDescriptor UnrealisticErrno = new("PHB1017", Severity.Warning, "unrealistic errno");
    /// <summary>A value that must be known when the file is checked.</summary>
    public static readonly DiagnosticDescriptor NotConstant = new("PHB1018", Severity.Error, "value is not a constant");
    /// <summary>A regular expression that does not compile.</summary>
    public static readonly DiagnosticDescriptor InvalidRegex = new("PHB1019", Severity.Error, "invalid regular expression");
    /// <summary><c>fd</c> or <c>path</c> on a syscall that has none.</summary>
    public static readonly DiagnosticDescriptor NameNotAvailable = new("PHB1020", Severity.Error, "name not available for this target");
    /// <summary>A return value that is neither an errno nor an integer.</summary>
    public static readonly DiagnosticDescriptor InvalidReturn = new("PHB1021", Severity.Error, "invalid return value");
    /// <summary>A return value that looks like an error code.</summary>
    public static readonly DiagnosticDescriptor ReturnLooksLikeErrno = new("PHB1022", Severity.Warning, "return value looks like an errno");
    /// <summary>A library that Phoebe does not know.</summary>
    public static readonly DiagnosticDescriptor UnknownLibrary = new("PHB1023", Severity.Error, "unknown library");
    /// <summary>A syscall named twice in one target list.</summary>
    public static readonly DiagnosticDescriptor DuplicateTarget = new("PHB1024", Severity.Warning, "duplicate target");
    /// <summary>Division by zero in a constant.</summary>
    public static readonly DiagnosticDescriptor DivisionByZero = new("PHB1025", Severity.Error, "division by zero");
    /// <summary>A health-check period or timeout that is not positive, or given twice.</summary>
    public static readonly DiagnosticDescriptor InvalidHealthOption = new("PHB1026", Severity.Error, "invalid health-check option");
    /// <summary>A condition that is always false.</summary>
    public static readonly DiagnosticDescriptor NeverMatches = new("PHB1028", Severity.Warning, "rule never matches");
    /// <summary>An empty HEALTH body.</summary>
    public static readonly DiagnosticDescriptor EmptyHealthCheck = new("PHB1029", Severity.Error, "empty health check");
    /// <summary>A HEALTH body that does not compile as C# (reported by the health pass, after the language's passes).</summary>
    public static readonly DiagnosticDescriptor CSharpError = new("PHB1030", Severity.Error, "C# compile error");
    /// <summary>A C# compiler warning in a HEALTH body.</summary>
    public static readonly DiagnosticDescriptor CSharpWarning = new("PHB1031", Severity.Warning, "C# compile warning");

    // ---- plan and backends
    /// <summary>Per-call and control terms joined in a way no backend evaluates.</summary>
    public static readonly DiagnosticDescriptor MixedCondition = new("PHB2001", Severity.Error, "per-call and control terms mixed");
    /// <summary><c>rate</c> or <c>observed</c> in a rule without an errno to measure.</summary>
    public static readonly DiagnosticDescriptor RateWithoutErrno = new("PHB2002", Severity.Error, "rate needs an errno");
    /// <summary>A probability that changes per call.</summary>
    public static readonly DiagnosticDescriptor PerCallProbability = new("PHB2003", Severity.Error, "probability depends on the call");
    /// <summary>Library-function rules are checked but not injected yet.</summary>
    public static readonly DiagnosticDescriptor FunctionNotInjectable = new("PHB2004", Severity.Warning, "library functions not injectable yet");
    /// <summary>A per-call term that a library-function rule cannot see.</summary>
    public static readonly DiagnosticDescriptor NotForFunctions = new("PHB2005", Severity.Error, "not available for library functions");

    /// <summary>All descriptors, ordered by code.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = DescriptorsOf(typeof(DiagnosticCatalog));

    /// <summary>The descriptors a catalogue class declares as public static fields, ordered by code.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> DescriptorsOf([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type catalogue) => catalogue
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .OrderBy(d => d.Code, StringComparer.Ordinal)
        .ToArray();
}
