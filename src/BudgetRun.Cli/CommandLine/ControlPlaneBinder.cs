using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using BudgetRun.Cli.Files;
using BudgetRun.ControlPlane;

namespace BudgetRun.Cli.CommandLine;

/// <summary>Validates the control plane's flags: listen address, token, workload name, Pushgateway.</summary>
internal sealed partial class ControlPlaneBinder(CliOptions options, Func<Option<string>, string?> flag, Func<string, string?> environment)
{
    private const int MaxTokenBytes = 4096;

    public string Workload(IReadOnlyList<string> command)
    {
        if (flag(options.Name) is { } name)
        {
            return WorkloadPattern().IsMatch(name)
                ? name
                : throw new UsageException($"--name: '{name}' must be 1 to 100 characters of A-Z, a-z, 0-9, '.', '_' or '-'");
        }
        var fileName = Path.GetFileName(command[0]);
        var cleaned = InvalidWorkloadChars().Replace(fileName, "_");
        return cleaned.Length == 0 ? "command" : cleaned[..Math.Min(100, cleaned.Length)];
    }

    /// <summary>Null when no control plane was asked for.</summary>
    public ControlPlaneSettings? Bind(string workload, List<string> warnings)
    {
        var (listenSource, listenText) = flag(options.Listen) is { } listenFlag
            ? (options.Listen.Name, listenFlag)
            : (CliOptions.ListenEnv, NonEmpty(environment(CliOptions.ListenEnv)));
        var listen = listenText is null ? null : Endpoint(listenSource, listenText);
        var token = Token(warnings);
        var (pushSource, push) = flag(options.PushGateway) is { } pushFlag
            ? (options.PushGateway.Name, pushFlag)
            : (CliOptions.PushGatewayEnv, NonEmpty(environment(CliOptions.PushGatewayEnv)));
        string? pushCredentials = null;
        if (push is not null)
        {
            if (!Uri.TryCreate(push, UriKind.Absolute, out var pushUri) || pushUri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"{pushSource}: '{Redacted(push)}' is not an http(s) URL");
            }
            if (pushUri.UserInfo.Length > 0)
            {
                // user:password in the URL is basic auth; from here on only the URL without it exists.
                pushCredentials = Uri.UnescapeDataString(pushUri.UserInfo);
                push = new UriBuilder(pushUri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
            }
        }
        var pushInterval = flag(options.PushInterval) is { } interval ? ValueParsers.Duration(options.PushInterval.Name, interval) : ControlPlaneSettings.DefaultPushInterval;
        if (push is null && flag(options.PushInterval) is { } orphanInterval)
        {
            throw new UsageException($"{options.PushInterval.Name}: '{orphanInterval}' needs --pushgateway (or {CliOptions.PushGatewayEnv})");
        }

        if (listen is not null && !IPAddress.IsLoopback(listen.Address) && token is null)
        {
            throw new UsageException($"{listenSource}: '{listenText}' is not a loopback address; binding it needs a control token (--control-token-file or {CliOptions.ControlTokenEnv})");
        }
        if (listen is null && push is null)
        {
            return null;
        }
        return new ControlPlaneSettings
        {
            Listen = listen,
            ControlToken = token,
            Workload = workload,
            PushGateway = push,
            PushCredentials = pushCredentials,
            PushInterval = pushInterval,
        };
    }

    private static IPEndPoint Endpoint(string source, string value)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bare))
        {
            return bare <= IPEndPoint.MaxPort
                ? new IPEndPoint(IPAddress.Loopback, bare)
                : throw new UsageException($"{source}: '{value}' is not a port from 0 to 65535");
        }
        var text = value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + value["localhost".Length..] : value;
        var colon = text.LastIndexOf(':');
        var bareIpv6 = text.IndexOf(':', StringComparison.Ordinal) != colon && !text.StartsWith('[');
        if (colon < 0 || bareIpv6 || !IPEndPoint.TryParse(text, out var endpoint)
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new UsageException($"{source}: '{value}' is not ADDR:PORT or PORT (e.g. 127.0.0.1:9090, [::1]:9090, 9090)");
        }
        return endpoint;
    }

    private string? Token(List<string> warnings)
    {
        if (flag(options.ControlTokenFile) is { } path)
        {
            var source = options.ControlTokenFile.Name;
            var content = UserFile.ReadText(source, path, MaxTokenBytes);
            try
            {
                if ((File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0)
                {
                    warnings.Add($"{source}: '{path}' is readable by other users; chmod 600 it");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{source}: cannot read '{path}': {ex.Message}");
            }
            return CheckToken(source, content.Trim());
        }
        var fromEnvironment = NonEmpty(environment(CliOptions.ControlTokenEnv));
        return fromEnvironment is null ? null : CheckToken(CliOptions.ControlTokenEnv, fromEnvironment.Trim());
    }

    /// <summary>Errors never echo the token itself.</summary>
    private static string CheckToken(string source, string token)
    {
        if (token.Length == 0)
        {
            throw new UsageException($"{source}: the control token is empty");
        }
        if (token.Length < 16)
        {
            throw new UsageException($"{source}: the control token is shorter than 16 characters");
        }
        if (token.Length > MaxTokenBytes || !TokenPattern().IsMatch(token))
        {
            throw new UsageException($"{source}: the control token must be printable ASCII without spaces, at most {MaxTokenBytes} characters");
        }
        return token;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A URL as an error may show it: whatever stands before an '@' after the scheme is hidden.</summary>
    private static string Redacted(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        return scheme >= 0 && at > scheme ? url[..(scheme + 3)] + "***" + url[at..] : url;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex WorkloadPattern();

    [GeneratedRegex("[^A-Za-z0-9._-]", RegexOptions.CultureInvariant)]
    private static partial Regex InvalidWorkloadChars();

    [GeneratedRegex("^[\\x21-\\x7e]+$", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
