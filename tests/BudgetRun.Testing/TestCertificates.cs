using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BudgetRun.Testing;

/// <summary>A throwaway CA and a server certificate it signed, for TLS servers the tests start (no openssl CLI needed).</summary>
internal static class TestCertificates
{
    public const string CaFile = "ca.pem";
    public const string ServerCertificateFile = "server.pem";
    public const string ServerKeyFile = "server.key";

    /// <summary>Writes <see cref="CaFile"/>, <see cref="ServerCertificateFile"/> and <see cref="ServerKeyFile"/> (PEM) into <paramref name="directory"/>.</summary>
    public static void WriteServerCertificate(string directory)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=budget-run test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        using var certificate = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));

        File.WriteAllText(Path.Combine(directory, CaFile), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, ServerCertificateFile), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, ServerKeyFile), serverKey.ExportPkcs8PrivateKeyPem());
    }
}
