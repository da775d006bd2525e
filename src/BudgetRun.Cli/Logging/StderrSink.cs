using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace BudgetRun.Cli.Logging;

/// <summary>
/// Writes each log event to file descriptor 2 in one write(2), never to stdout (which belongs to
/// the child). See <see cref="StandardStream"/> for why not System.Console.
/// </summary>
internal sealed class StderrSink(ITextFormatter formatter) : ILogEventSink, IDisposable
{
    private readonly Lock _gate = new();
    private readonly StandardStream _stderr = new(2);

    public void Emit(LogEvent logEvent)
    {
        var text = new StringWriter();
        formatter.Format(logEvent, text);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        lock (_gate)
        {
            try
            {
                _stderr.Write(bytes);
            }
            catch (IOException)
            {
                // stderr closed or full: logging must never take the run down.
            }
        }
    }

    public void Dispose() => _stderr.Dispose();
}
