using BudgetRun.Cli.CommandLine;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace BudgetRun.Cli.Logging;

/// <summary>Serilog configured in code (its configuration binder is not AOT-safe).</summary>
internal static class LoggingSetup
{
    // No {NewLine} or {Exception}: EscapingTextFormatter ends the line and writes the exception itself.
    private const string TextTemplate = "{Timestamp:HH:mm:ss.fff} budget-run {Level:u3} {Message:lj}";

    public static ILogger Create(LogFormat format)
    {
        ITextFormatter formatter = format == LogFormat.Json
            ? new JsonLineFormatter()
            : new EscapingTextFormatter(new MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture));
        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            // "Hosting failed to start" with a stack trace: budget-run reports a bind failure itself, in one line.
            .MinimumLevel.Override("Microsoft.Extensions.Hosting", LogEventLevel.Fatal)
            .WriteTo.Sink(new StderrSink(formatter))
            .CreateLogger();
    }
}
