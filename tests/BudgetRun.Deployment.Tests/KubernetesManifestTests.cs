using System.Globalization;
using BudgetRun.Deployment.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// The Kubernetes examples, checked field by field (no schema validator installs offline): the
/// fields the API server requires, the references between objects, and the rules of each pattern.
/// </summary>
public sealed class KubernetesManifestTests
{
    /// <summary>The kinds the examples may use, with their apiVersion. A new kind needs its checks here first.</summary>
    private static readonly Dictionary<string, string> _knownKinds = new(StringComparer.Ordinal)
    {
        ["Job"] = "batch/v1",
        ["Deployment"] = "apps/v1",
        ["Service"] = "v1",
        ["PersistentVolumeClaim"] = "v1",
        ["NetworkPolicy"] = "networking.k8s.io/v1",
        ["PodMonitor"] = "monitoring.coreos.com/v1",
    };

    [Fact]
    public void Examples_HaveOneFilePerPattern_AndTheReadmeNamesEach()
    {
        var files = Examples.Files().Select(Path.GetFileName).ToList();
        Assert.Contains("job.yaml", files);
        Assert.Contains("worker-sidecar.yaml", files);
        Assert.Contains("deployment-wrapper.yaml", files);
        var readme = File.ReadAllText(Repository.PathOf($"{Examples.Folder}/README.md"));
        var problems = new Problems();
        foreach (var file in files)
        {
            problems.Check(readme.Contains(file!, StringComparison.Ordinal), $"{Examples.Folder}/README.md", $"does not mention {file}");
        }
        problems.AssertNone();
    }

    [Fact]
    public void EveryDocument_HasApiVersionKindAndName_OfAKindTheseTestsCheck()
    {
        Assert.NotEmpty(Examples.All);
        var problems = new Problems();
        foreach (var manifest in Examples.All)
        {
            problems.Check(!string.IsNullOrEmpty(manifest.ApiVersion), manifest, "apiVersion is missing");
            problems.Check(!string.IsNullOrEmpty(manifest.Kind), manifest, "kind is missing");
            problems.Check(!string.IsNullOrEmpty(manifest.Name), manifest, "metadata.name is missing");
            if (manifest.Kind is not null && _knownKinds.TryGetValue(manifest.Kind, out var apiVersion))
            {
                problems.Check(manifest.ApiVersion == apiVersion, manifest, $"apiVersion {manifest.ApiVersion}, expected {apiVersion}");
            }
            else
            {
                problems.Add(manifest, $"kind {manifest.Kind} has no checks in {nameof(KubernetesManifestTests)}: add them");
            }
            if (manifest.Name is { } name)
            {
                problems.Check(ManifestRules.IsDnsLabel(name), manifest, $"metadata.name '{name}' is not a DNS label");
            }
            problems.Check(manifest.Spec is not null, manifest, "spec is missing");
        }
        problems.AssertNone();
    }

    [Fact]
    public void NamesAreUnique_PerKind()
    {
        var duplicates = Examples.All.GroupBy(manifest => (manifest.Kind, manifest.Name)).Where(group => group.Count() > 1);
        Assert.Empty(duplicates.Select(group => $"{group.Key.Kind}/{group.Key.Name}"));
    }

    [Fact]
    public void Jobs_NeverRestartInPlace_AndRunBudgetRunsRetriesInOnePod()
    {
        var problems = new Problems();
        foreach (var job in Examples.All.Where(manifest => manifest.Kind == "Job"))
        {
            var pod = job.PodTemplate;
            if (pod is null)
            {
                problems.Add(job, "spec.template.spec is missing");
                continue;
            }
            var restartPolicy = pod.Spec.Text("restartPolicy");
            problems.Check(restartPolicy is "Never" or "OnFailure", job, $"spec.template.spec.restartPolicy is '{restartPolicy}', must be Never or OnFailure");
            if (pod.Containers.Any(container => BudgetRunInvocation.Of(container) is not null))
            {
                // Another pod would start another per-run budget: the retries are budget-run's.
                problems.Check(job.Spec!.Text("backoffLimit") == "0", job, "a Job run by budget-run needs backoffLimit: 0");
                problems.Check(restartPolicy == "Never", job, "a Job run by budget-run needs restartPolicy: Never");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void Deployments_SelectTheirOwnPodTemplate()
    {
        var problems = new Problems();
        foreach (var deployment in Examples.All.Where(manifest => manifest.Kind == "Deployment"))
        {
            var selector = deployment.Spec?.Map("selector")?.Map("matchLabels").Pairs() ?? new Dictionary<string, string>();
            problems.Check(selector.Count > 0, deployment, "spec.selector.matchLabels is missing");
            problems.Check(deployment.PodTemplate?.IsSelectedBy(selector) == true, deployment,
                "spec.selector.matchLabels does not match spec.template.metadata.labels");
            var replicas = deployment.Spec?.Text("replicas");
            problems.Check(replicas is null || int.TryParse(replicas, NumberStyles.None, CultureInfo.InvariantCulture, out _), deployment, $"replicas '{replicas}'");
        }
        problems.AssertNone();
    }

    [Fact]
    public void Containers_HaveUniqueNamesAndImages_AndValidPorts()
    {
        var problems = new Problems();
        foreach (var pod in Examples.PodTemplates)
        {
            problems.Check(pod.Spec.Maps("containers").Count > 0, pod.Owner, "the pod template has no containers");
            var names = pod.Containers.Select(container => container.Name).ToList();
            problems.Check(names.Distinct().Count() == names.Count, pod.Owner, $"container names repeat: {string.Join(", ", names)}");
            var portNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var container in pod.Containers)
            {
                problems.Check(ManifestRules.IsDnsLabel(container.Name), container, "name is missing or not a DNS label");
                problems.Check(!string.IsNullOrWhiteSpace(container.Image), container, "image is missing");
                foreach (var port in container.Ports)
                {
                    var number = port.Text("containerPort");
                    problems.Check(ManifestRules.IsPortNumber(number), container, $"containerPort '{number}' is not a port number");
                    if (port.Text("name") is { } portName)
                    {
                        problems.Check(ManifestRules.IsServiceName(portName), container, $"port name '{portName}' is not an IANA service name (15 characters, a-z 0-9 -)");
                        problems.Check(portNames.Add(portName), container, $"port name '{portName}' is used twice in the pod");
                    }
                    problems.Check(port.Text("protocol") is null or "TCP" or "UDP" or "SCTP", container, "protocol");
                }
                foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
                {
                    var handler = container.Node.Map(probe);
                    var port = handler?.Map("httpGet")?.Text("port") ?? handler?.Map("tcpSocket")?.Text("port");
                    if (handler is not null)
                    {
                        problems.Check(port is not null || handler.Map("exec") is not null || handler.Map("grpc") is not null, container, $"{probe} has no handler");
                    }
                    if (port is not null && !ManifestRules.IsPortNumber(port))
                    {
                        problems.Check(container.Ports.Any(p => p.Text("name") == port), container, $"{probe} names port '{port}', which the container does not declare");
                    }
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void InitContainers_OnlyNativeSidecarsHaveARestartPolicy_AndItIsAlways()
    {
        var problems = new Problems();
        foreach (var container in Examples.Containers)
        {
            var restartPolicy = container.Node.Text("restartPolicy");
            if (container.IsInit)
            {
                problems.Check(restartPolicy is null or "Always", container, $"restartPolicy '{restartPolicy}': an init container takes only Always (a native sidecar)");
            }
            else
            {
                problems.Check(restartPolicy is null, container, "a regular container has no restartPolicy (the pod's applies)");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void WorkerSidecar_RunsBudgetRunServe_AsANativeSidecar_BesideTheWorker()
    {
        var pods = Examples.PodTemplates.Where(pod => pod.Owner.File.EndsWith("worker-sidecar.yaml", StringComparison.Ordinal)
            && pod.Containers.Any(container => container.IsInit && container.Node.Text("restartPolicy") == "Always")).ToList();
        var pod = Assert.Single(pods);
        Assert.Equal("Deployment", pod.Owner.Kind);
        var sidecar = Assert.Single(pod.Containers, container => container.IsInit && container.Node.Text("restartPolicy") == "Always");
        var invocation = BudgetRunInvocation.Of(sidecar);
        Assert.NotNull(invocation);
        Assert.Equal("serve", invocation.Subcommand);
        Assert.Contains(pod.Containers, container => !container.IsInit);
        // Every container of the pod that calls the sidecar has the token it must present.
        var tokenVolume = pod.Volumes.Single(volume => volume.Map("secret") is not null).Text("name");
        Assert.All(pod.Containers, container => Assert.Contains(container.VolumeMounts, mount => mount.Text("name") == tokenVolume));
    }

    [Fact]
    public void Volumes_AreDeclared_WhereMounted_AndTheirSourcesExist()
    {
        var problems = new Problems();
        var claims = Examples.All.Where(manifest => manifest.Kind == "PersistentVolumeClaim").Select(manifest => manifest.Name).ToHashSet();
        foreach (var pod in Examples.PodTemplates)
        {
            var volumes = pod.Volumes.Select(volume => volume.Text("name")).ToList();
            problems.Check(volumes.Distinct().Count() == volumes.Count, pod.Owner, "volume names repeat");
            foreach (var volume in pod.Volumes)
            {
                if (volume.Map("secret") is { } secret)
                {
                    problems.Check(!string.IsNullOrEmpty(secret.Text("secretName")), pod.Owner, $"secret volume {volume.Text("name")} has no secretName");
                    var mode = secret.Text("defaultMode");
                    problems.Check(mode is null || int.TryParse(mode, NumberStyles.None, CultureInfo.InvariantCulture, out _), pod.Owner, $"defaultMode '{mode}'");
                }
                if (volume.Map("persistentVolumeClaim") is { } claim)
                {
                    problems.Check(claims.Contains(claim.Text("claimName")), pod.Owner, $"claim {claim.Text("claimName")} is not in the examples");
                }
            }
            foreach (var container in pod.Containers)
            {
                foreach (var mount in container.VolumeMounts)
                {
                    problems.Check(volumes.Contains(mount.Text("name")), container, $"mounts volume '{mount.Text("name")}', which the pod does not declare");
                    problems.Check(mount.Text("mountPath") is { } path && path.StartsWith('/'), container, "mountPath is missing or not absolute");
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void StringFields_AreQuotedWhereYamlWouldReadANumberOrBoolean()
    {
        var problems = new Problems();
        foreach (var manifest in Examples.All)
        {
            CheckStrings(problems, manifest, "metadata.labels", manifest.Root.MapAt("metadata", "labels"));
            CheckStrings(problems, manifest, "metadata.annotations", manifest.Root.MapAt("metadata", "annotations"));
        }
        foreach (var pod in Examples.PodTemplates)
        {
            CheckStrings(problems, pod.Owner, "template labels", pod.Owner.Spec?.MapAt("template", "metadata", "labels"));
            CheckStrings(problems, pod.Owner, "template annotations", pod.Owner.Spec?.MapAt("template", "metadata", "annotations"));
            foreach (var container in pod.Containers)
            {
                foreach (var field in new[] { "command", "args" })
                {
                    foreach (var scalar in container.Node.Scalars(field).Where(scalar => scalar.IsNonString()))
                    {
                        problems.Add(container, $"{field} item {scalar.Value} reads as a number or boolean: quote it");
                    }
                }
                foreach (var variable in container.Node.Maps("env"))
                {
                    if (variable.Scalar("value") is { } value && value.IsNonString())
                    {
                        problems.Add(container, $"env {variable.Text("name")} value {value.Value} reads as a number or boolean: quote it");
                    }
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void PersistentVolumeClaims_HaveAccessModesAndASize()
    {
        var problems = new Problems();
        foreach (var claim in Examples.All.Where(manifest => manifest.Kind == "PersistentVolumeClaim"))
        {
            problems.Check((claim.Spec?.Texts("accessModes") ?? []).Count > 0, claim, "spec.accessModes is empty");
            problems.Check(claim.Spec?.MapAt("resources", "requests")?.Text("storage") is { Length: > 0 }, claim, "spec.resources.requests.storage is missing");
        }
        problems.AssertNone();
    }

    private static void CheckStrings(Problems problems, Manifest manifest, string field, YamlMappingNode? map)
    {
        if (map is null)
        {
            return;
        }
        foreach (var pair in map.Children)
        {
            if (pair.Value is YamlScalarNode scalar && scalar.IsNonString())
            {
                problems.Add(manifest, $"{field} {pair.Key} = {scalar.Value} reads as a number or boolean: quote it");
            }
        }
    }
}
