using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>A container or init container of a pod template.</summary>
internal sealed record Container(PodTemplate Pod, YamlMappingNode Node, bool IsInit)
{
    public string? Name => Node.Text("name");

    public string? Image => Node.Text("image");

    public IReadOnlyList<string> Command => Node.Texts("command");

    public IReadOnlyList<string> Args => Node.Texts("args");

    public IReadOnlyList<YamlMappingNode> Ports => Node.Maps("ports");

    public IReadOnlyList<YamlMappingNode> VolumeMounts => Node.Maps("volumeMounts");

    public override string ToString() => $"{Pod.Owner}, {(IsInit ? "init container" : "container")} {Name}";
}
