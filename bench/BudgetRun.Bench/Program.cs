using BudgetRun.Bench.Measuring;
using BudgetRun.Bench.Reporting;

namespace BudgetRun.Bench;

/// <summary>
/// budget-run-bench VERB [--option value ...]. Verbs: kill-switch and reserve measure (and write
/// their samples as JSON), report turns everything bench/run.sh measured into the table.
/// Exit codes: 0 fine, 1 a target was missed (report, full mode), 2 a measurement or usage failed.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            var arguments = BenchArguments.Parse(args);
            return arguments.Verb switch
            {
                "kill-switch" => await KillSwitchBench.RunAsync(arguments).ConfigureAwait(false),
                "reserve" => await ReservationBench.RunAsync(arguments).ConfigureAwait(false),
                "report" => ReportCommand.Run(arguments),
                _ => throw new BenchException($"unknown verb '{arguments.Verb}' (kill-switch, reserve, report)"),
            };
        }
        catch (Exception ex) when (ex is BenchException or TimeoutException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync($"budget-run-bench: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
    }
}
