using System.Globalization;

namespace BudgetRun.TestChild;

/// <summary>Linux signal numbers by name, for the verbs that take or record signals.</summary>
internal static class SignalNames
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGSEGV = 11;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGTERM = 15;

    private static readonly Dictionary<string, int> _byName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = SIGHUP,
        ["INT"] = SIGINT,
        ["QUIT"] = SIGQUIT,
        ["ABRT"] = 6,
        ["KILL"] = SIGKILL,
        ["USR1"] = SIGUSR1,
        ["SEGV"] = SIGSEGV,
        ["USR2"] = SIGUSR2,
        ["PIPE"] = SIGPIPE,
        ["ALRM"] = 14,
        ["TERM"] = SIGTERM,
        ["RTMIN+6"] = 40,
        ["RTMAX-4"] = 60,
    };

    /// <summary>"SIGTERM", "TERM" or "15".</summary>
    public static int Parse(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }
        var name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
        return _byName.TryGetValue(name, out var signal)
            ? signal
            : throw new ArgumentException($"unknown signal: {text}");
    }

    public static string Name(int signal) =>
        _byName.FirstOrDefault(pair => pair.Value == signal).Key is { } name
            ? "SIG" + name
            : signal.ToString(CultureInfo.InvariantCulture);
}
