using System.Text;

namespace BudgetRun.Bench.Reporting;

/// <summary>
/// The table as aligned Markdown (readable in a terminal, renders in the README):
/// figure | value | baseline | ratio | target | met?, then one note per figure.
/// </summary>
internal static class TableWriter
{
    private const int MaxCellLength = 120;

    private static readonly string[] Header = ["figure", "value", "baseline (same run)", "ratio", "target", "met?"];

    public static string Write(IReadOnlyList<Figure> figures)
    {
        var rows = figures.Select(Cells).Prepend(Header).ToList();
        var widths = Enumerable.Range(0, Header.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        var text = new StringBuilder();
        for (var r = 0; r < rows.Count; r++)
        {
            text.Append('|');
            for (var c = 0; c < widths.Length; c++)
            {
                text.Append(' ').Append(rows[r][c].PadRight(widths[c])).Append(" |");
            }
            text.Append('\n');
            if (r == 0)
            {
                text.Append('|');
                foreach (var width in widths)
                {
                    text.Append(new string('-', width + 2)).Append('|');
                }
                text.Append('\n');
            }
        }
        text.Append('\n');
        foreach (var figure in figures.Where(f => f.Verdict != Verdict.NotMeasured && f.Note.Length > 0))
        {
            text.Append("- ").Append(figure.Name).Append(": ").Append(figure.Note).Append('\n');
        }
        return text.ToString();
    }

    public static string Amount(double value, string unit) => unit switch
    {
        "ms" when value < 1 => $"{value:0.000} ms",
        "ms" => $"{value:0.0} ms",
        "MiB" => $"{value:0.0} MiB",
        "GiB/s" => $"{value:0.00} GiB/s",
        "req/s" => $"{value:N0} req/s",
        _ => $"{value:N0} {unit}",
    };

    /// <summary>Keeps a table cell readable; results.json holds the whole text.</summary>
    private static string Shorten(string text) => text.Length <= MaxCellLength ? text : $"{text[..(MaxCellLength - 3)]}...";

    private static string[] Cells(Figure figure)
    {
        if (figure.Verdict == Verdict.NotMeasured)
        {
            var baseline = figure.Baseline is { } b ? $"{Amount(b, figure.Unit)} ({figure.BaselineName})" : "-";
            return [figure.Name, $"not measured: {Shorten(figure.Note)}", baseline, "-", figure.Target, "-"];
        }
        return
        [
            figure.Name,
            figure.Value is { } value ? Amount(value, figure.Unit) : "-",
            figure.Baseline is { } baseline2 ? $"{Amount(baseline2, figure.Unit)} ({figure.BaselineName})" : "-",
            figure.Ratio is { } ratio ? $"{ratio:0.00}x" : "-",
            figure.Target,
            figure.Verdict switch
            {
                Verdict.Met => "yes",
                Verdict.Missed => "NO",
                _ => "-",
            },
        ];
    }
}
