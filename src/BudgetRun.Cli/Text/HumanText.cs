using System.Globalization;
using System.Text;

namespace BudgetRun.Cli.Text;

/// <summary>
/// The one rule for text a person reads on a terminal (text log lines, usage errors, the human
/// output of the subcommands): a command name, <c>--name</c>, kill reason or flag value may hold
/// any character, and a raw newline would forge a log line, an ESC would drive the terminal and a
/// bidi override would reorder what is shown. Such characters are written as visible escapes;
/// everything else (backslashes included) is left as it is. JSON output needs none of this: its
/// writer escapes control characters itself.
/// </summary>
internal static class HumanText
{
    /// <summary><paramref name="text"/> with every control, line-separator and bidi-control character escaped.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        var first = IndexOfUnsafe(text);
        if (first < 0)
        {
            return text; // the common case allocates nothing
        }
        var escaped = new StringBuilder(text.Length + 8);
        escaped.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsUnsafe(c))
            {
                escaped.Append(c);
                continue;
            }
            escaped.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                < '\u0100' => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
            });
        }
        return escaped.ToString();
    }

    /// <summary>C0 and C1 controls and DEL, U+2028/U+2029, and the bidi marks, embeddings, overrides and isolates.</summary>
    public static bool IsUnsafe(char c) =>
        c < ' ' || c is >= '\u007f' and <= '\u009f'
        || c is '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029'
        || c is >= '\u202a' and <= '\u202e'
        || c is >= '\u2066' and <= '\u2069';

    private static int IndexOfUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i]))
            {
                return i;
            }
        }
        return -1;
    }
}
