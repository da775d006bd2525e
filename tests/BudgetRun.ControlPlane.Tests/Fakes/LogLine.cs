using Microsoft.Extensions.Logging;

namespace BudgetRun.ControlPlane.Tests.Fakes;

/// <summary>One line the host logged, with the exception passed to the logger (the error layer passes none).</summary>
internal sealed record LogLine(string Category, LogLevel Level, string Message, Exception? Exception);
