using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>A shared HTTP client, and starting a server on a free loopback port until it answers.</summary>
internal static class Loopback
{
    private const int Tries = 3;

    /// <summary>Every request of the suite is bounded.</summary>
    public static HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>
    /// Starts a server with <paramref name="start"/> on a free port and waits until
    /// <paramref name="readyPath"/> answers 200. A server that dies because its port was taken
    /// in between is started again on another port.
    /// </summary>
    public static async Task<(ChildProcess Process, string BaseUrl)> StartServerAsync(string name, Func<int, ChildProcess> start, string readyPath, TimeSpan limit)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Ports.FreeLoopback(); // retried below when another process takes it first
            var server = start(port);
            var baseUrl = $"http://127.0.0.1:{port}";
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    if (server.HasExited)
                    {
                        throw new ServerExitedException();
                    }
                    using var response = await Http.GetAsync(baseUrl + readyPath);
                    return response.IsSuccessStatusCode;
                }, limit, $"{name} to answer {baseUrl}{readyPath}", () => $"--- {name} ---\n{server.Output}");
                return (server, baseUrl);
            }
            catch (ServerExitedException)
            {
                var output = server.Output;
                server.Dispose();
                if (attempt < Tries && output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                throw new XunitException($"{name} exited at start-up ({server.Description})\n--- output ---\n{output}");
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

    private sealed class ServerExitedException : Exception;
}
