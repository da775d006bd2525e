using System.Globalization;
using System.Text;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// A seeded generator of hostile HTTP/1.1 requests, as raw bytes: random and wrong methods, mangled
/// paths, broken versions, near-miss and foreign credentials (never the valid token), wrong content
/// types, lying or invalid Content-Lengths, broken chunking, invalid header bytes, and bodies of
/// random bytes, truncated or mutated JSON, huge numbers, deep nesting and invalid UTF-8. The same
/// seed gives the same requests.
/// </summary>
internal sealed class HttpFuzzer
{
    private static readonly string[] _methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "post", "Get"];
    private static readonly string[] _versions = ["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/1.1x", "HTTP/1.", "http/1.1", "HTTP/01.1", ""];
    private static readonly string[] _contentTypes =
    [
        "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "text/plain",
        "application/x-www-form-urlencoded", "multipart/form-data; boundary=--fuzz", "application/problem+json",
        "application/octet-stream", "*/*", "json", "application/json; charset=\"\u00ff\"",
    ];

    private static readonly string[] _validBodies =
    [
        "{\"cents\": 5}", "{\"cents\": 1}", "{\"reason\": \"fuzz\"}", "{\"scope\": \"fleet\"}", "{\"scope\": \"run\", \"reason\": \"x\"}",
        "{\"id\": \"0190b2a4c1e87000a000000000000000\", \"cents\": 1}", "{}", "[]", "null",
    ];

    private static readonly string[] _hostileJson =
    [
        "{\"cents\": 1e308}", "{\"cents\": -1e308}", "{\"cents\": 99999999999999999999999999999999}", "{\"cents\": -0}",
        "{\"cents\": 9223372036854775807}", "{\"cents\": -9223372036854775808}", "{\"cents\": 1000000000001}", "{\"cents\": 2.5}",
        "{\"cents\": NaN}", "{\"cents\": Infinity}", "{\"cents\": \"5\"}", "{\"cents\": null}", "{\"cents\": true}", "{\"cents\": [5]}",
        "{\"cents\": {\"cents\": 5}}", "{\"cents\": 5, \"cents\": 6}", "{\"cents\": 5,}", "{'cents': 5}", "{\"cents\": 0x10}",
        "{\"reason\": 5}", "{\"reason\": null, \"scope\": 7}", "{\"scope\": \"galaxy\"}", "{\"id\": 5, \"cents\": 5}",
        "{\"id\": \"\", \"cents\": 5}", "{\"id\": null}", "{\"cents\": 5} trailing", "\"5\"", "5", "true", "{\"\\u0000\": 1}",
        "{\"reason\": \"\\ud800\"}", "{\"reason\": \"\\uDFFF\\uD800\"}",
    ];

    private readonly Random _random;
    private readonly IReadOnlyList<string> _paths;
    private readonly string _token;
    private readonly bool _authorized;

    /// <param name="seed">Makes the sequence reproducible.</param>
    /// <param name="paths">The endpoints of the server under test.</param>
    /// <param name="token">The valid control token: near misses of it are sent, never the token itself...</param>
    /// <param name="authorized">...unless this is set: then every well-formed request carries it, so that its body reaches the handler.</param>
    public HttpFuzzer(int seed, IReadOnlyList<string> paths, string token, bool authorized = false)
    {
        _random = new Random(seed);
        _paths = paths;
        _token = token;
        _authorized = authorized;
    }

    /// <summary>
    /// The next request: three in five are well-formed HTTP/1.1 to a real endpoint with hostile
    /// credentials and a hostile body (so they reach budget-run's handlers), the rest are broken at
    /// the protocol level too (so they exercise Kestrel's parser and limits).
    /// </summary>
    public byte[] Next() => Chance(_authorized ? 0.9 : 0.6) ? WellFormed() : Chaos();

    private byte[] WellFormed()
    {
        var head = new StringBuilder();
        var method = Pick(4) switch
        {
            0 when !_authorized => "GET",
            1 when !_authorized => _methods[_random.Next(_methods.Length)],
            _ => "POST",
        };
        var path = Chance(0.8) || _authorized ? _paths[_random.Next(_paths.Count)] : Path();
        head.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if (_authorized)
        {
            head.Append("Authorization: Bearer ").Append(_token).Append("\r\n");
        }
        else if (Chance(0.85))
        {
            head.Append("Authorization: ").Append(Credentials()).Append("\r\n");
        }
        if (Chance(0.8))
        {
            head.Append("Content-Type: ").Append(_contentTypes[_random.Next(_contentTypes.Length)]).Append("\r\n");
        }
        var body = Body();
        head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body];
    }

    private byte[] Chaos()
    {
        var method = Pick(5) switch
        {
            0 => RandomToken(1, 12),
            1 => Encoding.Latin1.GetString(RandomBytes(1, 6)),
            _ => _methods[_random.Next(_methods.Length)],
        };
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(Path()).Append(' ').Append(_versions[_random.Next(_versions.Length)]).Append("\r\n");
        if (Chance(0.9))
        {
            head.Append("Host: ").Append(Chance(0.95) ? "127.0.0.1" : RandomToken(0, 20)).Append("\r\n");
        }
        head.Append("Connection: close\r\n");
        if (Chance(0.7))
        {
            head.Append("Authorization: ").Append(Credentials()).Append("\r\n");
        }
        if (Chance(0.6))
        {
            head.Append("Content-Type: ").Append(_contentTypes[_random.Next(_contentTypes.Length)]).Append("\r\n");
        }
        for (var i = Pick(4) == 0 ? _random.Next(1, 8) : 0; i > 0; i--)
        {
            head.Append(RandomToken(1, 20)).Append(": ").Append(Encoding.Latin1.GetString(RandomBytes(0, 40))).Append("\r\n");
        }
        if (Chance(0.03))
        {
            head.Append("X-Big: ").Append('b', _random.Next(8_000, 20_000)).Append("\r\n"); // over the 16 KiB limit at times
        }
        if (Chance(0.02))
        {
            for (var i = 0; i < 60; i++)
            {
                head.Append("X-Many-").Append(i).Append(": x\r\n"); // over the 50-header limit
            }
        }
        if (Chance(0.05))
        {
            head.Append("Expect: 100-continue\r\n");
        }

        var body = Body();
        var framing = Pick(10);
        byte[] framed;
        if (framing == 0)
        {
            head.Append("Transfer-Encoding: chunked\r\n\r\n");
            framed = Chunked(body);
        }
        else if (framing == 1)
        {
            head.Append("Content-Length: ").Append(LyingLength(body.Length)).Append("\r\n\r\n");
            framed = body;
        }
        else if (framing == 2)
        {
            head.Append("\r\n"); // no length: the body is read as the next request
            framed = body;
        }
        else
        {
            if (body.Length > 0 || Chance(0.5))
            {
                head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
            head.Append("\r\n");
            framed = body;
        }
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. framed];
    }

    private string Path()
    {
        var path = _paths[_random.Next(_paths.Count)];
        return Pick(16) switch
        {
            0 => path + "/",
            1 => "/" + path,
            2 => path.ToUpperInvariant(),
            3 => path + "?" + RandomToken(0, 30) + "=" + Uri.EscapeDataString(RandomToken(0, 30)),
            4 => path.Replace("/", "%2F", StringComparison.Ordinal),
            5 => "/%2e%2e" + path,
            6 => path + "/../" + _paths[_random.Next(_paths.Count)].TrimStart('/'),
            7 => "http://127.0.0.1" + path,
            8 => path + "%00",
            9 => Encoding.Latin1.GetString(RandomBytes(1, 30)),
            10 => path + "/" + new string('a', _random.Next(100, 12_000)),
            11 => "*",
            12 => path + "\u00e9",
            _ => path,
        };
    }

    private string Credentials() => Pick(12) switch
    {
        0 => "Bearer",
        1 => "Bearer ",
        2 => "Basic dXNlcjpwYXNzd29yZA==",
        3 => NearMiss(), // no scheme
        4 => "Bearer " + Convert.ToBase64String(RandomBytes(32, 32)).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
        5 => "Bearer " + Encoding.Latin1.GetString(RandomBytes(1, 64)),
        6 => "Token " + _token,
        7 => "Bearer " + NearMiss() + ", Bearer " + NearMiss(),
        _ => "Bearer " + NearMiss(),
    };

    /// <summary>The valid token, changed a little: one character, a case, a prefix, a suffix, a truncation.</summary>
    private string NearMiss()
    {
        string candidate;
        do
        {
            var at = _random.Next(_token.Length);
            candidate = Pick(7) switch
            {
                0 => string.Concat(_token.AsSpan(0, at), ((char)(_token[at] ^ 1)).ToString(), _token.AsSpan(at + 1)),
                1 => _token.ToUpperInvariant(),
                2 => _token.ToLowerInvariant(),
                3 => _token[..at],
                4 => _token + RandomToken(1, 3),
                5 => RandomToken(1, 3) + _token,
                _ => string.Concat(_token.AsSpan(0, at), " ", _token.AsSpan(at)),
            };
        }
        while (candidate.Trim() == _token || candidate.Trim().Length == 0);
        return candidate;
    }

    private byte[] Body()
    {
        switch (Pick(12))
        {
            case 0:
                return [];
            case 1:
                return RandomBytes(1, 2000);
            case 2:
            {
                var valid = Encoding.UTF8.GetBytes(_validBodies[_random.Next(_validBodies.Length)]);
                return valid[.._random.Next(valid.Length)]; // truncated
            }
            case 3:
            {
                var mutated = Encoding.UTF8.GetBytes(_validBodies[_random.Next(_validBodies.Length)]);
                for (var i = _random.Next(1, 4); i > 0; i--)
                {
                    mutated[_random.Next(mutated.Length)] = (byte)_random.Next(256);
                }
                return mutated;
            }
            case 4:
            {
                var depth = _random.Next(50, 20_000);
                return Encoding.ASCII.GetBytes("{\"cents\": " + new string('[', depth) + new string(']', depth) + "}");
            }
            case 5:
            {
                var depth = _random.Next(50, 5_000);
                var nested = new StringBuilder();
                for (var i = 0; i < depth; i++)
                {
                    nested.Append("{\"a\":");
                }
                return Encoding.ASCII.GetBytes(nested.Append('1').Append('}', depth).ToString());
            }
            case 6:
                // Invalid UTF-8 inside a string: a lone continuation byte, an overlong '/', a truncated sequence, a surrogate.
                return [.. "{\"reason\": \""u8.ToArray(), 0x80, 0xc0, 0xaf, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xff, .. "\"}"u8.ToArray()];
            case 7:
                return [0xef, 0xbb, 0xbf, .. Encoding.UTF8.GetBytes(_validBodies[_random.Next(_validBodies.Length)])]; // BOM
            case 8:
                return Encoding.ASCII.GetBytes("{\"cents\": 1" + new string('0', _random.Next(20, 60_000)) + "}");
            case 9:
                return Encoding.ASCII.GetBytes("{\"reason\": \"" + new string('r', _random.Next(60 * 1024, 100 * 1024)) + "\"}"); // past 64 KiB
            default:
                return Encoding.UTF8.GetBytes(_hostileJson[_random.Next(_hostileJson.Length)]);
        }
    }

    private byte[] Chunked(byte[] body)
    {
        var output = new MemoryStream();
        var broken = Chance(0.3);
        for (var offset = 0; offset < body.Length;)
        {
            var size = Math.Min(body.Length - offset, _random.Next(1, 4096));
            var sizeLine = broken && Chance(0.5) ? RandomToken(1, 4) : size.ToString("x", CultureInfo.InvariantCulture);
            output.Write(Encoding.ASCII.GetBytes(sizeLine + "\r\n"));
            output.Write(body, offset, size);
            output.Write("\r\n"u8);
            offset += size;
        }
        if (!broken || Chance(0.5))
        {
            output.Write("0\r\n\r\n"u8);
        }
        return output.ToArray();
    }

    private string LyingLength(int actual) => Pick(5) switch
    {
        0 => "-1",
        1 => "abc",
        2 => "99999999999999999999",
        3 => Math.Max(0, actual - _random.Next(1, 10)).ToString(CultureInfo.InvariantCulture),
        _ => (actual + _random.Next(1, 100)).ToString(CultureInfo.InvariantCulture),
    };

    private string RandomToken(int min, int max)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'*+";
        var chars = new char[_random.Next(min, max + 1)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[_random.Next(Alphabet.Length)];
        }
        return new string(chars);
    }

    private byte[] RandomBytes(int min, int max)
    {
        var bytes = new byte[_random.Next(min, max + 1)];
        _random.NextBytes(bytes);
        return bytes;
    }

    private int Pick(int choices) => _random.Next(choices);

    private bool Chance(double probability) => _random.NextDouble() < probability;
}
