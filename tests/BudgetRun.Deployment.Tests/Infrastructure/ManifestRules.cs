using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>Kubernetes' own rules for names and ports, and the ports a pod template declares.</summary>
internal static partial class ManifestRules
{
    public static bool IsPortNumber(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535;

    /// <summary>A port name: an IANA service name of at most 15 characters.</summary>
    public static bool IsServiceName(string name) =>
        name.Length <= 15 && DnsLabel().IsMatch(name) && name.Any(char.IsLetter) && !name.Contains("--", StringComparison.Ordinal);

    /// <summary>An RFC 1123 label: what metadata.name and container names must be.</summary>
    public static bool IsDnsLabel(string? name) => name is { Length: > 0 and <= 63 } && DnsLabel().IsMatch(name);

    public static IEnumerable<YamlMappingNode> PortsOf(PodTemplate pod) => pod.Containers.SelectMany(container => container.Ports);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
