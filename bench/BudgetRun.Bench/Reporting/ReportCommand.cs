using System.Text.Encodings.Web;
using System.Text.Json;

namespace BudgetRun.Bench.Reporting;

/// <summary>
/// The report verb: builds the table from the raw directory, prints it, writes results.json and
/// results.md. Exit code: 2 if a measurement failed to run; in full mode 1 if a target was missed;
/// otherwise 0 (quick mode never fails on timing).
/// Options: --raw DIR --out DIR --mode full|quick [--context TEXT].
/// </summary>
internal static class ReportCommand
{
    public static int Run(BenchArguments arguments)
    {
        var raw = arguments.Text("raw");
        var output = arguments.Text("out");
        var mode = arguments.Text("mode");
        if (mode is not ("full" or "quick"))
        {
            throw new BenchException($"--mode must be full or quick, not '{mode}'");
        }
        var context = arguments.Text("context", "");

        var builder = new FigureBuilder(raw);
        var figures = builder.Build();
        var missed = figures.Where(f => f.Verdict == Verdict.Missed).Select(f => f.Name).ToList();
        var exitCode = builder.Crashed ? 2 : mode == "full" && missed.Count > 0 ? 1 : 0;

        var table = TableWriter.Write(figures);
        var verdict = builder.Crashed
            ? "a measurement failed to run (see the rows marked not measured)"
            : missed.Count == 0 ? "every target met" : $"missed: {string.Join(", ", missed)}";
        if (mode == "quick" && !builder.Crashed)
        {
            verdict += " (quick mode: timings are indicative and never fail the run)";
        }
        Console.Out.Write(table);
        Console.Out.WriteLine(verdict);

        Directory.CreateDirectory(output);
        var report = new BenchReport(mode, TimeProvider.System.GetUtcNow(), context, figures, builder.Crashed, exitCode);
        // Relaxed escaping keeps `, < and > readable in the file; it is never embedded in HTML.
        var json = new BenchJsonContext(new JsonSerializerOptions(BenchJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(report, json.BenchReport));
        File.WriteAllText(Path.Combine(output, "results.md"),
            $"# budget-run benchmarks ({mode} mode)\n\n{context}\n\n{table}\n{verdict}\n");
        return exitCode;
    }
}
