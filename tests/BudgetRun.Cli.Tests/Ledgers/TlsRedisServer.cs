using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// A real redis-server that speaks only TLS (<c>--port 0 --tls-port N</c>) on loopback, with a
/// certificate for 127.0.0.1 signed by a throwaway CA made for it (so nothing on the machine
/// trusts it unless told to: <see cref="CaFile"/> is what <c>SSL_CERT_FILE</c> names).
/// </summary>
internal sealed class TlsRedisServer : IAsyncDisposable
{
    private static readonly TimeSpan _startLimit = TimeSpan.FromSeconds(10);

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private TlsRedisServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The CA certificate (PEM) that signed the server's certificate.</summary>
    public string CaFile => Path.Combine(_directory, "ca.pem");

    /// <summary>The <c>--ledger</c> value that names this server.</summary>
    public string Uri => string.Create(CultureInfo.InvariantCulture, $"rediss://127.0.0.1:{Port}/0");

    public static async Task<TlsRedisServer> StartAsync()
    {
        var directory = Directory.CreateDirectory(
            Path.Combine(Path.GetTempPath(), "budget-run-tests", "redis-tls-" + Guid.NewGuid().ToString("N"))).FullName;
        var server = new TlsRedisServer(directory, RedisServer.FreePort());
        try
        {
            server.WriteCertificates();
            await server.StartProcessAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            process.Dispose();
            _process = null;
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp folder; nothing else uses it.
        }
    }

    private void WriteCertificates()
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

        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "server.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(RedisServer.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--port", "0", "--tls-port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--tls-cert-file", Path.Combine(_directory, "server.pem"), "--tls-key-file", Path.Combine(_directory, "server.key"),
            "--tls-ca-cert-file", CaFile, "--tls-auth-clients", "no",
            "--save", "", "--appendonly", "no", "--dir", _directory, "--daemonize", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (!await ListensAsync())
        {
            if (process.HasExited || clock.Elapsed > _startLimit)
            {
                string log;
                lock (_output)
                {
                    log = _output.ToString();
                }
                throw new InvalidOperationException($"redis-server (TLS) did not start on port {Port}:\n{log}");
            }
            await Task.Delay(20);
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task<bool> ListensAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
