using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>A pod template: its labels and annotations, and its spec.</summary>
internal sealed record PodTemplate(
    Manifest Owner,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Annotations,
    YamlMappingNode Spec)
{
    public IReadOnlyList<Container> Containers =>
        [.. Spec.Maps("initContainers").Select(node => new Container(this, node, IsInit: true)),
         .. Spec.Maps("containers").Select(node => new Container(this, node, IsInit: false))];

    public IReadOnlyList<YamlMappingNode> Volumes => Spec.Maps("volumes");

    public bool IsSelectedBy(IReadOnlyDictionary<string, string> selector) =>
        selector.Count > 0 && selector.All(pair => Labels.TryGetValue(pair.Key, out var value) && value == pair.Value);

    public override string ToString() => Owner.ToString();
}
