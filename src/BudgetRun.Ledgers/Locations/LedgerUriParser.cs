using System.Globalization;

namespace BudgetRun.Ledgers.Locations;

/// <summary>
/// Parses <c>--ledger</c> (env <c>BUDGET_RUN_LEDGER</c>): <c>sqlite:PATH</c>, <c>redis://HOST:PORT[/DB]</c>,
/// <c>rediss://HOST:PORT[/DB]</c> (TLS), a Redis Cluster's seed list <c>redis://HOST:PORT,HOST:PORT,...[/DB]</c>
/// (IPv6 in brackets; a cluster has database 0 only, which the server enforces when the ledger opens),
/// the sentinels of a Redis primary <c>redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]</c> (also
/// <c>rediss+sentinel://</c>, port 26379 by default), or <c>postgres://[USER@]HOST[:PORT]/DB[?sslmode=MODE]</c> (also <c>postgresql://</c>). Nothing
/// given means the default SQLite file. Passwords never come from the URI: Redis's from
/// <c>BUDGET_RUN_REDIS_PASSWORD</c>, PostgreSQL's from <c>PGPASSWORD</c> or the <c>.pgpass</c> file, as
/// libpq reads them. A bad value is a <see cref="LedgerUriException"/> whose one-line message names
/// the flag and the value.
/// </summary>
internal static class LedgerUriParser
{
    public const string LedgerVariable = "BUDGET_RUN_LEDGER";
    public const string PasswordVariable = "BUDGET_RUN_REDIS_PASSWORD";
    public const int DefaultRedisPort = 6379;
    public const int DefaultSentinelPort = 26379;
    public const string PostgresPasswordVariable = "PGPASSWORD";
    public const string PostgresPassFileVariable = "PGPASSFILE";
    public const string PostgresUserVariable = "PGUSER";
    public const int DefaultPostgresPort = 5432;

    /// <summary>libpq's <c>sslmode</c> values.</summary>
    public static readonly IReadOnlyList<string> PostgresSslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    private const string Forms = "use sqlite:PATH, redis://HOST:PORT[/DB], rediss://HOST:PORT[/DB], redis+sentinel://HOST:PORT[,...]/SERVICE[/DB] or postgres://[USER@]HOST[:PORT]/DB";

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names where it came from in messages.</summary>
    /// <param name="text">The value; null or blank for the default SQLite ledger.</param>
    /// <param name="environment">Reads an environment variable (HOME, XDG_STATE_HOME, the password).</param>
    /// <param name="source">The flag or variable to name in an error.</param>
    public static LedgerLocation Parse(string? text, Func<string, string?> environment, string source = "--ledger")
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (string.IsNullOrWhiteSpace(text))
        {
            return new SqliteLedgerLocation(DefaultSqlitePath(environment));
        }
        text = text.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !IsScheme(text.AsSpan(0, colon)))
        {
            var hint = text.StartsWith('/') || text.StartsWith('.') || text.StartsWith('~') ? $" (for a file, write sqlite:{text})" : "";
            throw Error(source, text, $"no ledger scheme; {Forms}{hint}");
        }
        var scheme = text[..colon].ToLowerInvariant();
        return scheme switch
        {
            "sqlite" => ParseSqlite(text, text[(colon + 1)..], environment, source),
            "redis" or "rediss" => ParseRedis(text, scheme == "rediss", environment, source),
            "redis+sentinel" or "rediss+sentinel" => ParseSentinel(text, scheme == "rediss+sentinel", environment, source),
            "postgres" or "postgresql" => ParsePostgres(text, environment, source),
            _ => throw Error(source, text, $"unknown ledger scheme '{scheme}'; {Forms}"),
        };
    }

    /// <summary><c>$XDG_STATE_HOME/budget-run/ledger.db</c>, else <c>~/.local/state/budget-run/ledger.db</c>.</summary>
    public static string DefaultSqlitePath(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var state = environment("XDG_STATE_HOME");
        var root = !string.IsNullOrEmpty(state) && Path.IsPathRooted(state)
            ? state // the XDG spec says to ignore a relative value
            : Path.Combine(Home(environment), ".local", "state");
        return Path.Combine(root, "budget-run", "ledger.db");
    }

    private static SqliteLedgerLocation ParseSqlite(string text, string path, Func<string, string?> environment, string source)
    {
        if (path.StartsWith("//", StringComparison.Ordinal))
        {
            path = path[2..];
            if (!path.StartsWith('/'))
            {
                throw Error(source, text, "an SQLite ledger is a local file: write sqlite:/absolute/path or sqlite:relative/path");
            }
        }
        if (path.Length == 0)
        {
            return new SqliteLedgerLocation(DefaultSqlitePath(environment));
        }
        if (path.Contains('\0', StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal))
        {
            throw Error(source, text, "the path holds characters a ledger path cannot have ('?' or NUL)");
        }
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Home(environment) + path[1..];
        }
        if (path.EndsWith('/'))
        {
            throw Error(source, text, "the path names a directory; name the database file, e.g. sqlite:/var/lib/budget-run/ledger.db");
        }
        return new SqliteLedgerLocation(Path.GetFullPath(path));
    }

    private static RedisLedgerLocation ParseRedis(string text, bool tls, Func<string, string?> environment, string source)
    {
        var scheme = tls ? "rediss" : "redis";
        var afterScheme = text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var authority = afterScheme.StartsWith("//", StringComparison.Ordinal) ? afterScheme[2..] : "";
        var end = authority.IndexOfAny(['/', '?', '#']);
        var tail = end < 0 ? "" : authority[end..];
        authority = end < 0 ? authority : authority[..end];
        var password = environment(PasswordVariable);
        password = string.IsNullOrEmpty(password) ? null : password;
        if (!authority.Contains(',', StringComparison.Ordinal))
        {
            var (endpoint, database) = ParseRedisUri(text, text, $"{scheme}://HOST:PORT[/DB]", source);
            return new RedisLedgerLocation([endpoint], database, tls, password);
        }
        // A seed list (a Redis Cluster): System.Uri takes one host, so each endpoint is read alone,
        // and the path after the list with the first of them.
        var expected = $"{scheme}://HOST:PORT,HOST:PORT[,...][/DB]";
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw Error(source, text, $"credentials do not belong in the URI: put the password in {PasswordVariable}");
        }
        var endpoints = ParseEndpoints(text, authority, "endpoint {0} of the seed list", DefaultRedisPort, expected, source);
        var (_, db) = ParseRedisUri(text, $"{scheme}://{authority.Split(',')[0]}{tail}", expected, source);
        return new RedisLedgerLocation(endpoints, db, tls, password);
    }

    /// <summary>
    /// The sentinels of a Redis primary and the service (the master's name in their configuration):
    /// the client asks them for the current primary and follows a failover.
    /// </summary>
    private static RedisLedgerLocation ParseSentinel(string text, bool tls, Func<string, string?> environment, string source)
    {
        var expected = $"{(tls ? "rediss" : "redis")}+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]";
        var afterScheme = text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..];
        if (!afterScheme.StartsWith("//", StringComparison.Ordinal))
        {
            throw Error(source, text, $"not a valid Redis Sentinel URI; expected {expected}");
        }
        var authority = afterScheme[2..];
        var end = authority.IndexOfAny(['/', '?', '#']);
        var tail = end < 0 ? "" : authority[end..];
        authority = end < 0 ? authority : authority[..end];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            throw Error(source, text, $"credentials do not belong in the URI: put the password in {PasswordVariable}");
        }
        if (authority.Length == 0)
        {
            throw Error(source, text, $"no sentinel; expected {expected}");
        }
        if (tail.StartsWith('?') || tail.StartsWith('#') || tail.Contains('?', StringComparison.Ordinal) || tail.Contains('#', StringComparison.Ordinal))
        {
            throw Error(source, text, $"options after '?' or '#' are not supported; expected {expected}");
        }
        var endpoints = ParseEndpoints(text, authority, "sentinel {0} of the list", DefaultSentinelPort, expected, source);
        var segments = tail.TrimStart('/').Split('/');
        var service = segments[0];
        if (service.Length == 0)
        {
            throw Error(source, text, $"no service: name the primary as the sentinels know it (sentinel monitor NAME ...); expected {expected}");
        }
        if (!service.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw Error(source, text, $"the service '{service}' holds characters a Sentinel service name cannot have (letters, digits, '.', '_', '-'); expected {expected}");
        }
        var database = 0;
        if (segments.Length > 2 && !(segments.Length == 3 && segments[2].Length == 0))
        {
            throw Error(source, text, $"too many path segments; expected {expected}");
        }
        if (segments.Length > 1 && segments[1].Length > 0
            && !int.TryParse(segments[1], NumberStyles.None, CultureInfo.InvariantCulture, out database))
        {
            throw Error(source, text, $"the database '{segments[1]}' is not a number; expected {expected}");
        }
        var password = environment(PasswordVariable);
        return new RedisLedgerLocation(endpoints, database, tls, string.IsNullOrEmpty(password) ? null : password, service);
    }

    /// <summary>A comma-separated list of <c>HOST[:PORT]</c>; <paramref name="entry"/> names the n-th one in a message.</summary>
    private static List<RedisEndpoint> ParseEndpoints(string text, string authority, string entry, int defaultPort, string expected, string source)
    {
        var endpoints = new List<RedisEndpoint>();
        foreach (var piece in authority.Split(','))
        {
            if (piece.Length == 0)
            {
                var name = string.Format(CultureInfo.InvariantCulture, entry, endpoints.Count + 1);
                throw Error(source, text, $"{name} is empty; expected {expected}");
            }
            var portAt = piece.LastIndexOf(':');
            var hasPort = portAt > piece.LastIndexOf(']');
            if (hasPort && (!int.TryParse(piece.AsSpan(portAt + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535))
            {
                throw Error(source, text, $"the port of '{piece}' is not a number from 1 to 65535; expected {expected}");
            }
            var (endpoint, _) = ParseRedisUri(text, $"redis://{piece}", expected, source);
            endpoint = hasPort ? endpoint : endpoint with { Port = defaultPort };
            if (endpoints.Any(e => e.Port == endpoint.Port && string.Equals(e.Host, endpoint.Host, StringComparison.OrdinalIgnoreCase)))
            {
                throw Error(source, text, $"'{endpoint}' is listed twice; expected {expected}");
            }
            endpoints.Add(endpoint);
        }
        return endpoints;
    }

    /// <summary>One endpoint and the database of <paramref name="uriText"/>; errors show <paramref name="text"/>.</summary>
    private static (RedisEndpoint Endpoint, int Database) ParseRedisUri(string text, string uriText, string expected, string source)
    {
        var afterScheme = uriText[(uriText.IndexOf(':', StringComparison.Ordinal) + 1)..];
        if (!afterScheme.StartsWith("//", StringComparison.Ordinal) || !Uri.TryCreate(uriText, UriKind.Absolute, out var uri))
        {
            throw Error(source, text, $"not a valid Redis URI; expected {expected}");
        }
        if (uri.UserInfo.Length > 0)
        {
            throw Error(source, text, $"credentials do not belong in the URI: put the password in {PasswordVariable}");
        }
        if (uri.Host.Length == 0)
        {
            throw Error(source, text, $"no host; expected {expected}");
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw Error(source, text, $"options after '?' or '#' are not supported; expected {expected}");
        }
        var port = uri.Port is > 0 ? uri.Port : DefaultRedisPort;
        var database = 0;
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0 && !int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database))
        {
            throw Error(source, text, $"the database '{path}' is not a number; expected {expected}");
        }
        return (new RedisEndpoint(uri.DnsSafeHost, port), database);
    }

    private static PostgresLedgerLocation ParsePostgres(string text, Func<string, string?> environment, string source)
    {
        const string Expected = "postgres://[USER@]HOST[:PORT]/DB[?sslmode=MODE]";
        var afterScheme = text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..];
        if (!afterScheme.StartsWith("//", StringComparison.Ordinal) || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            throw Error(source, text, $"not a valid PostgreSQL URI; expected {Expected}");
        }
        // A user alone is fine (libpq's form); a password never is: URIs end up in logs, ps and manifests.
        if (uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            throw Error(source, text,
                $"credentials do not belong in the URI: put the password in {PostgresPasswordVariable} or a .pgpass file ({PostgresPassFileVariable})");
        }
        if (uri.Host.Length == 0)
        {
            throw Error(source, text, $"no host; expected {Expected}");
        }
        if (uri.Fragment.Length > 0)
        {
            throw Error(source, text, $"options after '#' are not supported; expected {Expected}");
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0 || database.Contains('/', StringComparison.Ordinal))
        {
            throw Error(source, text, $"name one database; expected {Expected}");
        }
        string? sslMode = null;
        foreach (var option in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = option.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? option : option[..equals];
            var value = equals < 0 ? "" : Uri.UnescapeDataString(option[(equals + 1)..]);
            if (name != "sslmode")
            {
                throw Error(source, text, $"the option '{name}' is not supported; only ?sslmode= is ({string.Join(", ", PostgresSslModes)})");
            }
            if (!PostgresSslModes.Contains(value))
            {
                throw Error(source, text, $"sslmode '{value}' is not one of {string.Join(", ", PostgresSslModes)}");
            }
            sslMode = value;
        }
        var user = uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo)
            : environment(PostgresUserVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : Environment.UserName;
        var password = environment(PostgresPasswordVariable);
        var passFile = environment(PostgresPassFileVariable) is { Length: > 0 } file ? file : Path.Combine(Home(environment), ".pgpass");
        return new PostgresLedgerLocation(uri.DnsSafeHost, uri.Port is > 0 ? uri.Port : DefaultPostgresPort, database, user, sslMode,
            string.IsNullOrEmpty(password) ? null : password, passFile);
    }

    private static string Home(Func<string, string?> environment) =>
        environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static bool IsScheme(ReadOnlySpan<char> text)
    {
        if (!char.IsAsciiLetter(text[0]))
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }
        return true;
    }

    private static LedgerUriException Error(string source, string text, string problem) =>
        new($"{source} '{Redact(text)}': {problem}");

    /// <summary>Hides anything between the scheme and an <c>@</c>: a password typed into the URI never reaches a log.</summary>
    private static string Redact(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var at = text.LastIndexOf('@');
        var shown = text;
        if (colon >= 0 && at > colon)
        {
            var start = text.AsSpan(colon + 1).StartsWith("//", StringComparison.Ordinal) ? colon + 3 : colon + 1;
            shown = string.Concat(text.AsSpan(0, start), "***", text.AsSpan(at));
        }
        return shown.ReplaceLineEndings(" ");
    }
}
