using System.Text.Json;
using BudgetRun.Cli.Files;

namespace BudgetRun.Cli.Reporting;

/// <summary>
/// Writes the report atomically: to a temporary file beside the target, flushed to disk, then
/// renamed over it, so a reader never sees half a report.
/// </summary>
internal static class ReportWriter
{
    public static void Write(string path, RunReport report)
    {
        var full = Path.GetFullPath(path);
        // Checked at start too; again here, since the path may have changed during the run. rename(2)
        // would replace a device or FIFO with our file.
        if (UserFile.WhyNotReplaceable(full) is { } why)
        {
            throw new IOException($"{why}; only a regular file (or a missing path) is replaced");
        }
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, report, ReportJsonContext.Default.RunReport);
                stream.WriteByte((byte)'\n');
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
