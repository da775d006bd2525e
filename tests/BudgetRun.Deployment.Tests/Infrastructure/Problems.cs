namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>
/// Collects every violation of a rule across all examples, so that one failing test lists them
/// all instead of stopping at the first.
/// </summary>
internal sealed class Problems
{
    private readonly List<string> _found = [];

    public void Add(object where, string what) => _found.Add($"{where}: {what}");

    public void Check(bool condition, object where, string what)
    {
        if (!condition)
        {
            Add(where, what);
        }
    }

    public void AssertNone()
    {
        Assert.True(_found.Count == 0, $"{_found.Count} problem(s):\n" + string.Join('\n', _found));
    }
}
