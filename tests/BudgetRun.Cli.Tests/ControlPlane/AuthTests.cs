using System.Net;
using System.Text;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// Bearer tokens on the mutating endpoints: anything but the exact token is 401 with
/// <c>WWW-Authenticate: Bearer</c> and changes nothing; the child's token pays on /cost only.
/// </summary>
public sealed class AuthTests(RunningControlPlane fixture) : IClassFixture<RunningControlPlane>
{
    /// <summary>Ways to get a token almost right, each applied to the token the endpoint would accept.</summary>
    public static TheoryData<string, string> BadCredentials
    {
        get
        {
            var data = new TheoryData<string, string>();
            string[] variants =
            [
                "no header", "other token", "upper case", "lower case", "truncated", "extra suffix", "extra prefix",
                "space inside", "tab after the scheme", "no scheme", "scheme without space", "scheme only", "Token scheme",
                "Basic scheme", "token twice",
            ];
            foreach (var path in new[] { "/kill", "/cost" })
            {
                foreach (var variant in variants)
                {
                    data.Add(path, variant);
                }
            }
            data.Add("/kill", "child token");
            data.Add("/cost", "child token upper case");
            data.Add("/cost", "child token truncated");
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task MutatingEndpoint_WithBadCredentials_Is401_AndChangesNothing(string path, string variant)
    {
        var before = await StatusSnapshot.TakeAsync(fixture.Client);
        var body = path == "/kill" ? "{\"reason\": \"must not happen\"}" : "{\"cents\": 5}";

        var answer = await fixture.Client.SendAsync(HttpMethod.Post, path, ControlPlaneClient.Json(body), Authorization(variant, fixture.ControlToken, fixture.ChildToken));

        answer.AssertProblem(HttpStatusCode.Unauthorized);
        Assert.True(answer.WwwAuthenticate.StartsWith("Bearer", StringComparison.Ordinal), $"WWW-Authenticate is '{answer.WwwAuthenticate}'\n{answer}");
        await fixture.AssertNothingChangedAsync(before, answer);
        var metrics = await fixture.Client.MetricsAsync();
        Assert.Equal(0, metrics.Value("budget_run_kill_switch_engaged"));
    }

    [Fact]
    public async Task Cost_WithTheControlToken_IsRecorded()
    {
        var before = await StatusSnapshot.TakeAsync(fixture.Client);

        var answer = await fixture.Client.PostAsync("/cost", "{\"cents\": 3}", fixture.ControlToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before.SpentCents + 3, (await StatusSnapshot.TakeAsync(fixture.Client)).SpentCents);
    }

    [Fact]
    public async Task Cost_WithTheChildToken_IsRecorded()
    {
        var before = await StatusSnapshot.TakeAsync(fixture.Client);

        var answer = await fixture.Client.PostAsync("/cost", "{\"cents\": 4}", fixture.ChildToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before.SpentCents + 4, (await StatusSnapshot.TakeAsync(fixture.Client)).SpentCents);
    }

    [Fact]
    public async Task BearerScheme_IsCaseInsensitive()
    {
        // RFC 9110 section 11.1: the auth scheme is case-insensitive; the token itself is not.
        var before = await StatusSnapshot.TakeAsync(fixture.Client);

        var answer = await fixture.Client.SendAsync(HttpMethod.Post, "/cost", ControlPlaneClient.Json("{\"cents\": 2}"), "bEARER " + fixture.ChildToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before.SpentCents + 2, (await StatusSnapshot.TakeAsync(fixture.Client)).SpentCents);
    }

    [Fact]
    public async Task ChildToken_DiffersFromTheControlToken()
    {
        Assert.NotEqual(fixture.ControlToken, fixture.ChildToken);
        Assert.True(fixture.ChildToken.Length >= 32, $"the child token '{fixture.ChildToken}' is short");
        var answer = await fixture.Client.GetAsync("/healthz");
        answer.AssertStatus(HttpStatusCode.OK);
    }

    /// <summary>The Authorization header of <paramref name="variant"/>, or null for none.</summary>
    private static string? Authorization(string variant, string control, string child) => variant switch
    {
        "no header" => null,
        "other token" => "Bearer " + ControlPlaneTest.NewToken(),
        "upper case" => "Bearer " + control.ToUpperInvariant(),
        "lower case" => "Bearer " + control.ToLowerInvariant(),
        "truncated" => "Bearer " + control[..^1],
        "extra suffix" => "Bearer " + control + "x",
        "extra prefix" => "Bearer x" + control,
        "space inside" => "Bearer " + control[..8] + " " + control[8..],
        "tab after the scheme" => "Bearer\t" + control,
        "no scheme" => control,
        "scheme without space" => "Bearer" + control,
        "scheme only" => "Bearer ",
        "Token scheme" => "Token " + control,
        "Basic scheme" => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("budget-run:" + control)),
        "token twice" => "Bearer " + control + ", Bearer " + control,
        "child token" => "Bearer " + child,
        "child token upper case" => "Bearer " + child.ToUpperInvariant(),
        "child token truncated" => "Bearer " + child[..^1],
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
    };
}
