using BudgetRun.Deployment.Tests.Infrastructure;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// The examples' network side: Services and NetworkPolicies select pods of the examples and open
/// ports those pods declare, and whatever Prometheus scrapes (PodMonitor, prometheus.io
/// annotations) is a budget-run listener on an address Prometheus can reach.
/// </summary>
public sealed class NetworkAndMonitoringTests
{
    [Fact]
    public void Services_SelectPodsOfTheExamples_AndTheirPortsResolve()
    {
        var problems = new Problems();
        foreach (var service in Examples.All.Where(manifest => manifest.Kind == "Service"))
        {
            problems.Check(ManifestRules.IsDnsLabel(service.Name) && char.IsLetter(service.Name![0]), service, "a Service name must start with a letter");
            var selector = service.Spec?.Map("selector").Pairs() ?? new Dictionary<string, string>();
            var pods = Examples.PodTemplates.Where(pod => pod.IsSelectedBy(selector)).ToList();
            problems.Check(pods.Count > 0, service, "spec.selector selects no pod template of the examples");
            var ports = service.Spec?.Maps("ports") ?? [];
            problems.Check(ports.Count > 0, service, "spec.ports is empty");
            foreach (var port in ports)
            {
                problems.Check(ManifestRules.IsPortNumber(port.Text("port")), service, $"port '{port.Text("port")}' is not a port number");
                problems.Check(ports.Count == 1 || port.Text("name") is not null, service, "a Service with several ports names each");
                var target = port.Text("targetPort") ?? port.Text("port");
                foreach (var pod in pods)
                {
                    problems.Check(ManifestRules.PortsOf(pod).Any(declared => declared.Text("containerPort") == target || declared.Text("name") == target),
                        service, $"targetPort {target} is not a container port of {pod.Owner}");
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void PodMonitors_ScrapeANonLoopbackBudgetRunListener()
    {
        var problems = new Problems();
        var monitors = Examples.All.Where(manifest => manifest.Kind == "PodMonitor").ToList();
        Assert.NotEmpty(monitors);
        foreach (var monitor in monitors)
        {
            var selector = monitor.Spec?.MapAt("selector", "matchLabels").Pairs() ?? new Dictionary<string, string>();
            var pods = Examples.PodTemplates.Where(pod => pod.IsSelectedBy(selector)).ToList();
            problems.Check(pods.Count > 0, monitor, "spec.selector.matchLabels selects no pod template of the examples");
            var endpoints = monitor.Spec?.Maps("podMetricsEndpoints") ?? [];
            problems.Check(endpoints.Count > 0, monitor, "spec.podMetricsEndpoints is empty");
            foreach (var endpoint in endpoints)
            {
                var portName = endpoint.Text("port");
                problems.Check(portName is not null, monitor, "a podMetricsEndpoint has no port name");
                problems.Check(endpoint.Text("path") is null or "/metrics", monitor, $"path '{endpoint.Text("path")}': budget-run serves /metrics");
                foreach (var pod in pods)
                {
                    var owner = pod.Containers.FirstOrDefault(container => container.Ports.Any(port => port.Text("name") == portName));
                    if (owner is null)
                    {
                        problems.Add(monitor, $"port '{portName}' is not a container port of {pod.Owner}");
                        continue;
                    }
                    var number = owner.Ports.First(port => port.Text("name") == portName).Text("containerPort");
                    CheckScrapableListener(problems, monitor, owner, number!);
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void PrometheusAnnotations_PointAtANonLoopbackBudgetRunListener()
    {
        var problems = new Problems();
        foreach (var pod in Examples.PodTemplates.Where(pod => pod.Annotations.GetValueOrDefault("prometheus.io/scrape") == "true"))
        {
            var port = pod.Annotations.GetValueOrDefault("prometheus.io/port");
            problems.Check(pod.Annotations.GetValueOrDefault("prometheus.io/path") is null or "/metrics", pod.Owner, "prometheus.io/path is not /metrics");
            var owner = pod.Containers.FirstOrDefault(container => container.Ports.Any(declared => declared.Text("containerPort") == port));
            if (owner is null)
            {
                problems.Add(pod.Owner, $"prometheus.io/port '{port}' is not a container port");
                continue;
            }
            CheckScrapableListener(problems, pod.Owner, owner, port!);
        }
        problems.AssertNone();
    }

    [Fact]
    public void NetworkPolicies_SelectPodsOfTheExamples_AndOpenTheirPorts()
    {
        var problems = new Problems();
        foreach (var policy in Examples.All.Where(manifest => manifest.Kind == "NetworkPolicy"))
        {
            var selector = policy.Spec?.MapAt("podSelector", "matchLabels").Pairs() ?? new Dictionary<string, string>();
            var pods = Examples.PodTemplates.Where(pod => pod.IsSelectedBy(selector)).ToList();
            problems.Check(pods.Count > 0, policy, "spec.podSelector selects no pod template of the examples");
            foreach (var type in policy.Spec?.Texts("policyTypes") ?? [])
            {
                problems.Check(type is "Ingress" or "Egress", policy, $"policyType '{type}'");
            }
            foreach (var rule in policy.Spec?.Maps("ingress") ?? [])
            {
                foreach (var port in rule.Maps("ports"))
                {
                    var number = port.Text("port");
                    foreach (var pod in pods)
                    {
                        problems.Check(ManifestRules.PortsOf(pod).Any(declared => declared.Text("containerPort") == number || declared.Text("name") == number),
                            policy, $"port {number} is not a container port of {pod.Owner}");
                    }
                }
            }
        }
        problems.AssertNone();
    }

    /// <summary>The container runs budget-run listening on <paramref name="port"/> on an address Prometheus can reach.</summary>
    private static void CheckScrapableListener(Problems problems, Manifest where, Container container, string port)
    {
        var invocation = BudgetRunInvocation.Of(container);
        if (invocation is null)
        {
            problems.Add(where, $"port {port} belongs to {container}, which does not run budget-run");
            return;
        }
        var listen = Listen(invocation);
        if (listen is null)
        {
            problems.Add(where, $"{container} runs budget-run without --listen");
            return;
        }
        problems.Check(listen.Value.Port == port, where, $"{container} listens on port {listen.Value.Port}, not {port}");
        problems.Check(!ListenAddress.IsLoopback(listen.Value.Host), where,
            $"{container} listens on {listen.Value.Host}: Prometheus cannot scrape a loopback address");
    }

    private static (string Host, string Port)? Listen(BudgetRunInvocation invocation)
    {
        var index = invocation.RawOptions.ToList().IndexOf("--listen");
        if (index < 0 || index + 1 >= invocation.RawOptions.Count)
        {
            return null;
        }
        return ListenAddress.Split(invocation.RawOptions[index + 1]);
    }
}
