using System.Globalization;
using System.Text;
using BudgetRun.Cli.Text;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace BudgetRun.Cli.Logging;

/// <summary>
/// The JSON log format: Serilog's rendered compact JSON (CLEF: <c>@t</c>, <c>@m</c>, <c>@l</c>...),
/// one object a line, with two additions. <c>@l</c> is always written (CLEF leaves it out for
/// Information, and a reader should not need to know that), and the characters that are only
/// unsafe on a terminal, which JSON allows raw (C1 controls, bidi overrides, U+2028/U+2029), are
/// written as <c>\uXXXX</c>: they can only stand inside a JSON string, so the object is the same.
/// Control characters below U+0020 are already escaped by the JSON writer: nothing is escaped twice.
/// </summary>
internal sealed class JsonLineFormatter : ITextFormatter
{
    private readonly RenderedCompactJsonFormatter _inner = new();

    public void Format(LogEvent logEvent, TextWriter output)
    {
        var rendered = new StringWriter();
        _inner.Format(logEvent, rendered);
        var json = rendered.ToString();
        if (logEvent.Level == LogEventLevel.Information && json.StartsWith('{'))
        {
            json = "{\"@l\":\"Information\"," + json[1..];
        }
        output.Write(EscapeRaw(json));
    }

    private static string EscapeRaw(string json)
    {
        StringBuilder? escaped = null;
        for (var i = 0; i < json.Length; i++)
        {
            var c = json[i];
            if (c >= '\u007f' && HumanText.IsUnsafe(c))
            {
                escaped ??= new StringBuilder(json, 0, i, json.Length + 16);
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                escaped?.Append(c);
            }
        }
        return escaped?.ToString() ?? json;
    }
}
