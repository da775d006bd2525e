using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>One YAML document of a Kubernetes example: its file, its position in the file and its tree.</summary>
internal sealed record Manifest(string File, int Index, YamlMappingNode Root)
{
    public string? ApiVersion => Root.Text("apiVersion");

    public string? Kind => Root.Text("kind");

    public string? Name => Root.Map("metadata")?.Text("name");

    public YamlMappingNode? Spec => Root.Map("spec");

    /// <summary>The pod template of a workload (Job, Deployment, ...), or null for other kinds.</summary>
    public PodTemplate? PodTemplate
    {
        get
        {
            var template = Kind switch
            {
                "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" => Spec?.Map("template"),
                "CronJob" => Spec?.MapAt("jobTemplate", "spec", "template"),
                "Pod" => Root,
                _ => null,
            };
            var spec = template?.Map("spec");
            return template is null || spec is null
                ? null
                : new PodTemplate(this, (template.Map("metadata")?.Map("labels")).Pairs(), (template.Map("metadata")?.Map("annotations")).Pairs(), spec);
        }
    }

    public override string ToString() => $"{File} (document {Index + 1}) {Kind}/{Name}";
}
