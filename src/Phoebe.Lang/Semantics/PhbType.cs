namespace Phoebe.Lang.Semantics;

/// <summary>The static types of Phoebe expressions.</summary>
public enum PhbType
{
    /// <summary>An expression that already produced an error; suppresses follow-on errors.</summary>
    Error,
    /// <summary>64-bit signed integer.</summary>
    Int,
    /// <summary>Double-precision float.</summary>
    Float,
    /// <summary>A length of time (nanoseconds).</summary>
    Duration,
    /// <summary>A percentage; <c>5%</c> is the fraction 0.05.</summary>
    Percentage,
    /// <summary>true or false.</summary>
    Bool,
    /// <summary>Text.</summary>
    String,
    /// <summary>An error number such as <c>ENOENT</c>.</summary>
    Errno,
    /// <summary>A signal such as <c>SIGTERM</c>.</summary>
    Signal,
}

/// <summary>Helpers on <see cref="PhbType"/>.</summary>
public static class PhbTypes
{
    /// <summary>The type's name as the language documentation writes it.</summary>
    public static string Name(this PhbType type) => type switch
    {
        PhbType.Error => "error",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The type's name with its article: "an int", "a float".</summary>
    public static string WithArticle(this PhbType type) => (type is PhbType.Int or PhbType.Errno or PhbType.Error ? "an " : "a ") + type.Name();

    /// <summary>Int, float and percentage mix in arithmetic and comparisons.</summary>
    public static bool IsNumeric(this PhbType type) => type is PhbType.Int or PhbType.Float or PhbType.Percentage;
}
