using System.Globalization;
using System.Text.RegularExpressions;
using BudgetRun.Deployment.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// Every budget-run command line in the Kubernetes examples, compared with what the built binary's
/// --help (or its subcommand's) lists, and checked against the rules budget-run enforces at start.
/// </summary>
public sealed partial class BudgetRunArgumentTests
{
    [Fact]
    public void TheExamples_RunBudgetRunInEachPattern()
    {
        var invocations = BudgetRunInvocation.InExamples();
        Assert.Contains(invocations, invocation => invocation.Container.Pod.Owner.Kind == "Job" && invocation.Program.StartsWith('/'));
        Assert.Contains(invocations, invocation => invocation.Subcommand == "serve" && invocation.Container.IsInit);
        Assert.Contains(invocations, invocation => invocation.Container.Pod.Owner.Kind == "Deployment" && invocation.Subcommand is null);
    }

    [Fact]
    public async Task EveryInvocation_UsesOnlyOptionsAndSubcommandsTheBinaryLists()
    {
        var problems = new Problems();
        foreach (var invocation in BudgetRunInvocation.InExamples())
        {
            var lookup = await LookupAsync(invocation, problems);
            foreach (var unknown in invocation.Resolve(lookup))
            {
                problems.Add(invocation.Container, $"{unknown} is not an option of budget-run {invocation.Subcommand}".TrimEnd());
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public async Task EveryValue_HasTheFormItsOptionTakes()
    {
        var problems = new Problems();
        foreach (var invocation in BudgetRunInvocation.InExamples())
        {
            var lookup = await LookupAsync(invocation, problems);
            invocation.Resolve(lookup);
            foreach (var option in invocation.Options.Where(option => option.Value is not null))
            {
                var placeholder = lookup(option.Name)?.Placeholder;
                var value = option.Value!;
                var valid = placeholder switch
                {
                    "N" => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
                    "D" => Duration().IsMatch(value),
                    "CODES" => value.Split(',').All(code => int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 255),
                    "ADDR:PORT" => ListenAddress.Split(value) is not null,
                    "URI" => value.StartsWith("redis://", StringComparison.Ordinal) || value.StartsWith("rediss://", StringComparison.Ordinal) || value.StartsWith("sqlite:", StringComparison.Ordinal),
                    "URL" => Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https",
                    "PATH" => value.StartsWith('/'),
                    _ => value.Length > 0,
                };
                problems.Check(valid, invocation.Container, $"{option.Name} '{value}' is not a valid <{placeholder}>");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public async Task RunMode_WrapsACommand_ServeMode_WrapsNone()
    {
        var problems = new Problems();
        foreach (var invocation in BudgetRunInvocation.InExamples())
        {
            invocation.Resolve(await LookupAsync(invocation, problems));
            if (invocation.Subcommand == "serve")
            {
                problems.Check(invocation.ChildCommand.Count == 0, invocation.Container, "serve runs no child command");
                problems.Check(invocation.Has("--listen") && invocation.Has("--budget-key"), invocation.Container, "serve needs --listen and --budget-key");
            }
            else if (invocation.Subcommand == "install")
            {
                // Not a wrapped command: install's one operand, the path it copies the binary to.
                problems.Check(invocation.ChildCommand is [['/', ..]], invocation.Container, "install takes one absolute path");
                problems.Check(invocation.Container.IsInit, invocation.Container, "install belongs in an init container");
            }
            else
            {
                problems.Check(invocation.ChildCommand.Count > 0, invocation.Container, "no command to wrap after the options");
                problems.Check(invocation.RawOptions.Contains("--"), invocation.Container, "the command should follow '--', so its own flags are never read as budget-run's");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public async Task NonLoopbackListeners_HaveAControlToken_FromAMountedSecret()
    {
        var problems = new Problems();
        foreach (var invocation in BudgetRunInvocation.InExamples())
        {
            invocation.Resolve(await LookupAsync(invocation, problems));
            var listen = invocation.Value("--listen");
            var tokenFile = invocation.Value("--control-token-file");
            var tokenFromEnvironment = invocation.Container.Node.Maps("env").Any(variable => variable.Text("name") == "BUDGET_RUN_CONTROL_TOKEN");
            if (listen is not null && ListenAddress.Split(listen) is { } address && !ListenAddress.IsLoopback(address.Host))
            {
                problems.Check(tokenFile is not null || tokenFromEnvironment, invocation.Container,
                    $"--listen {listen} is not loopback: budget-run refuses to start without a control token (exit 2)");
            }
            if (tokenFile is not null)
            {
                var mount = MountHolding(invocation.Container, tokenFile);
                var volume = invocation.Container.Pod.Volumes.FirstOrDefault(candidate => candidate.Text("name") == mount?.Text("name"));
                problems.Check(volume?.Map("secret") is not null || volume?.Map("projected") is not null, invocation.Container,
                    $"--control-token-file {tokenFile} is not on a mounted Secret");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void ABinaryRunFromAVolume_IsCopiedThereByAnInitContainer()
    {
        var problems = new Problems();
        foreach (var invocation in BudgetRunInvocation.InExamples().Where(invocation => invocation.Program.StartsWith('/')))
        {
            var mount = MountHolding(invocation.Container, invocation.Program);
            if (mount is null)
            {
                continue; // a path in the image itself
            }
            var volume = mount.Text("name");
            // An init container (not a sidecar) that mounts the volume writable and names the
            // binary's path as it sees it, e.g. `cp /usr/local/bin/budget-run /budget/budget-run`.
            var copied = invocation.Container.Pod.Containers
                .Where(container => container.IsInit && container.Node.Text("restartPolicy") is null)
                .Any(container => container.VolumeMounts
                    .Where(candidate => candidate.Text("name") == volume && candidate.Text("readOnly") != "true")
                    .Any(candidate => container.Command.Concat(container.Args).Contains(RelocatedPath(invocation.Program, mount, candidate))));
            problems.Check(copied, invocation.Container,
                $"runs {invocation.Program} from volume {volume}, but no init container copies budget-run there");
        }
        problems.AssertNone();
    }

    [Fact]
    public async Task RedisLedgers_PointAtAServiceOfTheExamples()
    {
        var problems = new Problems();
        var services = Examples.All.Where(manifest => manifest.Kind == "Service").ToList();
        foreach (var invocation in BudgetRunInvocation.InExamples())
        {
            invocation.Resolve(await LookupAsync(invocation, problems));
            if (invocation.Value("--ledger") is not { } ledger || !ledger.StartsWith("redis", StringComparison.Ordinal))
            {
                continue;
            }
            var uri = new Uri(ledger);
            var service = services.FirstOrDefault(candidate => candidate.Name == uri.Host);
            problems.Check(service?.Spec?.Maps("ports").Any(port => port.Text("port") == uri.Port.ToString(CultureInfo.InvariantCulture)) == true,
                invocation.Container, $"--ledger {ledger}: no Service {uri.Host} with port {uri.Port} in the examples");
        }
        problems.AssertNone();
    }

    /// <summary>The options of the help that applies: budget-run's, or its subcommand's.</summary>
    private static async Task<Func<string, HelpOption?>> LookupAsync(BudgetRunInvocation invocation, Problems problems)
    {
        var help = await BudgetRunHelp.OfAsync(null);
        if (invocation.Subcommand is { } subcommand)
        {
            if (help.Subcommands.Contains(subcommand))
            {
                help = await BudgetRunHelp.OfAsync(subcommand);
            }
            else
            {
                problems.Add(invocation.Container, $"'{subcommand}' is not a subcommand of budget-run");
                return _ => null;
            }
        }
        return help.Find;
    }

    /// <summary>The volume mount whose path holds <paramref name="path"/>, the deepest if several do.</summary>
    private static YamlMappingNode? MountHolding(Container container, string path) =>
        container.VolumeMounts
            .Where(mount => mount.Text("mountPath") is { } root && path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
            .MaxBy(mount => mount.Text("mountPath")!.Length);

    /// <summary>Where <paramref name="path"/> (seen through <paramref name="from"/>) is, seen through <paramref name="to"/>.</summary>
    private static string RelocatedPath(string path, YamlMappingNode from, YamlMappingNode to) =>
        to.Text("mountPath")!.TrimEnd('/') + path[from.Text("mountPath")!.TrimEnd('/').Length..];

    [GeneratedRegex(@"^\d+(\.\d+)?(ms|s|m|h|d)$")]
    private static partial Regex Duration();
}
