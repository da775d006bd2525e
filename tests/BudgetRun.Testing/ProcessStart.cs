using System.Diagnostics;

namespace BudgetRun.Testing;

/// <summary>How every helper starts a program: no shell, the arguments as given, all pipes redirected.</summary>
internal static class ProcessStart
{
    private const string BudgetRunPrefix = "BUDGET_RUN_";

    /// <summary>
    /// The start info of <paramref name="program"/> with <paramref name="args"/>. Each entry of
    /// <paramref name="environment"/> sets a variable, or removes it from the inherited environment
    /// when its value is null.
    /// </summary>
    public static ProcessStartInfo Info(string program, IEnumerable<string> args,
        IEnumerable<KeyValuePair<string, string?>>? environment = null, bool redirectStdin = true)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirectStdin,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // budget-run's own variables on the machine running the tests (a developer's BUDGET_RUN_LEDGER,
        // CI's BUDGET_RUN_EXE) never reach a program under test unless the test sets them itself.
        foreach (var name in start.Environment.Keys.Where(key => key.StartsWith(BudgetRunPrefix, StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? [])
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }
        return start;
    }
}
