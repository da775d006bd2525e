using System.Security.Cryptography;
using System.Text;

namespace BudgetRun.ControlPlane;

/// <summary>Bearer tokens: generated from a CSPRNG, compared in constant time.</summary>
internal static class Tokens
{
    /// <summary>A fresh 256-bit token, base64url.</summary>
    public static string Generate() => Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// Compares SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither
    /// the content nor the length of the expected token leaks through timing.
    /// </summary>
    public static bool Matches(string? presented, string? expected)
    {
        if (presented is null || expected is null)
        {
            return false;
        }
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
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
