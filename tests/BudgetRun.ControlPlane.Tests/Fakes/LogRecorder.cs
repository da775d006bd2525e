using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace BudgetRun.ControlPlane.Tests.Fakes;

/// <summary>Keeps every log line the host writes, so a test can count the error layer's lines and read them.</summary>
internal sealed class LogRecorder : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>The lines of one category (a type's full name), e.g. the error layer's.</summary>
    public IReadOnlyList<LogLine> Of<T>() => [.. _lines.Where(line => line.Category == typeof(T).FullName)];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}
