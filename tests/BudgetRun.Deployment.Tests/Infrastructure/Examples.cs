using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>Every YAML document under examples/kubernetes, parsed once.</summary>
internal static class Examples
{
    public const string Folder = "examples/kubernetes";

    private static readonly Lazy<IReadOnlyList<Manifest>> _all = new(Load);

    public static IReadOnlyList<Manifest> All => _all.Value;

    public static IEnumerable<PodTemplate> PodTemplates => All.Select(manifest => manifest.PodTemplate).OfType<PodTemplate>();

    public static IEnumerable<Container> Containers => PodTemplates.SelectMany(pod => pod.Containers);

    public static IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(Repository.PathOf(Folder), "*.*", SearchOption.AllDirectories)
            .Where(path => path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    private static IReadOnlyList<Manifest> Load()
    {
        var manifests = new List<Manifest>();
        foreach (var path in Files())
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(path))
            {
                stream.Load(reader);
            }
            var relative = Path.GetRelativePath(Repository.Root, path);
            for (var index = 0; index < stream.Documents.Count; index++)
            {
                var root = stream.Documents[index].RootNode as YamlMappingNode
                    ?? throw new InvalidDataException($"{relative} (document {index + 1}) is not a mapping");
                manifests.Add(new Manifest(relative, index, root));
            }
        }
        return manifests;
    }
}
