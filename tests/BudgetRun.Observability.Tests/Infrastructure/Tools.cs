using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// The Prometheus programs, found on PATH under their Debian names (upstream names as a fallback).
/// A missing one fails the test with the package to install: CI installs them
/// (eng/install-deps.sh), so a skip would only hide a broken set-up.
/// </summary>
internal static class Tools
{
    public static string Prometheus => Find("prometheus", ["prometheus"]);

    public static string Promtool => Find("prometheus", ["promtool"]);

    public static string Alertmanager => Find("prometheus-alertmanager", ["prometheus-alertmanager", "alertmanager"]);

    public static string Amtool => Find("prometheus-alertmanager", ["amtool"]);

    public static string Pushgateway => Find("prometheus-pushgateway", ["prometheus-pushgateway", "pushgateway"]);

    private static string Find(string package, string[] names)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in names)
        {
            foreach (var directory in directories.Append("/usr/bin").Append("/usr/local/bin"))
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new XunitException(
            $"{string.Join(" or ", names)} is not installed: install the Debian package {package} (eng/install-deps.sh does, as root)");
    }
}
