namespace BudgetRun.Bench;

/// <summary>A measurement or an input that went wrong in a way the user should read in one line.</summary>
internal sealed class BenchException : Exception
{
    public BenchException()
    {
    }

    public BenchException(string message)
        : base(message)
    {
    }

    public BenchException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
