using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>Null-tolerant reading of a parsed YAML tree: a missing or mistyped field reads as absent.</summary>
internal static class YamlNodes
{
    private static readonly HashSet<string> _nonStrings = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
    };

    public static YamlNode? Get(this YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static YamlMappingNode? Map(this YamlMappingNode map, string key) => map.Get(key) as YamlMappingNode;

    /// <summary>The mapping at a path of keys, or null where any step is missing.</summary>
    public static YamlMappingNode? MapAt(this YamlMappingNode map, params string[] path)
    {
        YamlMappingNode? current = map;
        foreach (var key in path)
        {
            current = current?.Map(key);
        }
        return current;
    }

    public static string? Text(this YamlMappingNode map, string key) => (map.Get(key) as YamlScalarNode)?.Value;

    public static YamlScalarNode? Scalar(this YamlMappingNode map, string key) => map.Get(key) as YamlScalarNode;

    public static IReadOnlyList<YamlMappingNode> Maps(this YamlMappingNode map, string key) =>
        (map.Get(key) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>().ToList() ?? [];

    public static IReadOnlyList<YamlScalarNode> Scalars(this YamlMappingNode map, string key) =>
        (map.Get(key) as YamlSequenceNode)?.Children.OfType<YamlScalarNode>().ToList() ?? [];

    public static IReadOnlyList<string> Texts(this YamlMappingNode map, string key) =>
        map.Scalars(key).Select(scalar => scalar.Value ?? "").ToList();

    /// <summary>The key/value pairs of a mapping of scalars (labels, annotations, matchLabels).</summary>
    public static IReadOnlyDictionary<string, string> Pairs(this YamlMappingNode? map) =>
        map?.Children
            .Where(pair => pair.Key is YamlScalarNode && pair.Value is YamlScalarNode)
            .ToDictionary(pair => ((YamlScalarNode)pair.Key).Value ?? "", pair => ((YamlScalarNode)pair.Value).Value ?? "")
        ?? new Dictionary<string, string>();

    /// <summary>
    /// True for a plain (unquoted) scalar that YAML reads as a number, boolean or null: Kubernetes
    /// refuses such a value where it wants a string (args, env values, labels, annotations).
    /// </summary>
    public static bool IsNonString(this YamlScalarNode scalar)
    {
        if (scalar.Style is not (YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any))
        {
            return false;
        }
        var value = scalar.Value ?? "";
        // Kubernetes reads YAML 1.1, where yes/no/on/off are booleans too.
        return _nonStrings.Contains(value)
            || double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
            || (value.StartsWith("0x", StringComparison.Ordinal) && value.Length > 2)
            || (value.StartsWith("0o", StringComparison.Ordinal) && value.Length > 2);
    }
}
