using System.Security.Cryptography;
using System.Text;

namespace BudgetRun.ControlPlane;

/// <summary>Bearer tokens: generated from the OS CSPRNG, compared in constant time.</summary>
internal static class Tokens
{
    /// <summary>Longest token accepted anywhere (the CLI refuses longer ones).</summary>
    public const int MaxLength = 4096;

    /// <summary>
    /// A fresh 256-bit token from the kernel's CSPRNG (/dev/urandom), base64url. Read directly
    /// because .NET's RandomNumberGenerator goes through OpenSSL on Linux (see <see cref="Matches"/>).
    /// </summary>
    public static string Generate()
    {
        var bytes = new byte[32];
        using (var random = new FileStream("/dev/urandom", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0))
        {
            random.ReadExactly(bytes);
        }
        return Base64UrlEncode(bytes);
    }

    /// <summary>
    /// Compares in constant time: both tokens are copied into fixed buffers of <see cref="MaxLength"/>
    /// bytes and compared whole with <see cref="CryptographicOperations.FixedTimeEquals"/>, so the
    /// time depends on neither the content nor the length of the expected token. No hashing: that
    /// would load OpenSSL, which an application image that budget-run is copied into may lack.
    /// </summary>
    public static bool Matches(string? presented, string? expected)
    {
        if (presented is null || expected is null)
        {
            return false;
        }
        Span<byte> a = stackalloc byte[MaxLength + 1];
        Span<byte> b = stackalloc byte[MaxLength + 1];
        a.Clear();
        b.Clear();
        var lengthA = Encoding.UTF8.GetByteCount(presented);
        var lengthB = Encoding.UTF8.GetByteCount(expected);
        if (lengthA > MaxLength || lengthB > MaxLength)
        {
            return false;
        }
        Encoding.UTF8.GetBytes(presented, a);
        Encoding.UTF8.GetBytes(expected, b);
        // The last byte marks the length, so "abc" never equals "abc\0".
        a[MaxLength] = (byte)(lengthA & 0xff);
        b[MaxLength] = (byte)(lengthB & 0xff);
        return CryptographicOperations.FixedTimeEquals(a, b) & lengthA == lengthB;
    }

    /// <summary>The token of an "Authorization: Bearer &lt;token&gt;" header, or null.</summary>
    public static string? FromAuthorizationHeader(string? header)
    {
        const string Scheme = "Bearer ";
        return header is not null && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            ? header[Scheme.Length..].Trim()
            : null;
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
