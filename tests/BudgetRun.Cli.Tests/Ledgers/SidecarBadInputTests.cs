using System.Net;
using System.Text;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Bad input on the sidecar's endpoints (malformed JSON, negative or fractional cents, missing or
/// unknown fields, bodies over 64 KiB) answers 400 with a JSON problem body and changes nothing.
/// </summary>
public sealed class SidecarBadInputTests(RedisFixture redis) : SidecarTest(redis), IClassFixture<RedisFixture>
{
    private const int OverLimit = 64 * 1024 + 1;

    public static readonly string[] BadReserveBodies =
    [
        "{", "{\"cents\": }", "cents=5", "[]", "null", "\"5\"", "5", "{}",
        "{\"cents\": -5}", "{\"cents\": 2.5}", "{\"cents\": 1e2}", "{\"cents\": \"5\"}", "{\"cents\": null}", "{\"cents\": true}",
        "{\"cents\": 99999999999999999999999}", "{\"cents\": 5, \"extra\": 1}", "{\"Cents\": 5}", "{\"cents\": 5}{\"cents\": 5}",
        "{\"cents\": 5, \"cents\": 6}",
    ];

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task BadInput_OnReserveAndSettle_Answers400WithAProblem_AndChangesNothing(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 1000);
        var id = await sidecar.ReserveIdAsync(10);
        var before = await sidecar.StatusAsync();
        string[] badSettleBodies =
        [
            "{", "[]", "null", "{}",
            $"{{\"id\": \"{id}\"}}", "{\"cents\": 5}",
            $"{{\"id\": \"{id}\", \"cents\": -1}}", $"{{\"id\": \"{id}\", \"cents\": 2.5}}", $"{{\"id\": \"{id}\", \"cents\": \"5\"}}",
            $"{{\"id\": \"{id}\", \"cents\": 5, \"extra\": true}}", $"{{\"id\": 42, \"cents\": 5}}", $"{{\"id\": null, \"cents\": 5}}",
            "{\"id\": \"\", \"cents\": 5}",
            $"{{\"id\": \"{id}\", \"cents\": 5, \"cents\": 0}}", $"{{\"id\": \"{id}\", \"id\": \"{id}\", \"cents\": 5}}",
        ];

        var answers = new List<(string Request, ControlAnswer Answer)>();
        foreach (var body in BadReserveBodies)
        {
            answers.Add((body, await sidecar.Client.PostAsync("/v1/reserve", body, token: null)));
        }
        foreach (var body in badSettleBodies)
        {
            answers.Add((body, await sidecar.Client.PostAsync("/v1/settle", body, token: null)));
        }
        foreach (var path in new[] { "/v1/reserve", "/v1/settle" })
        {
            answers.Add(("no body", await sidecar.Client.PostAsync(path, null, token: null)));
            answers.Add(("64 KiB + 1 with Content-Length", await sidecar.Client.PostAsync(path, Padded("{\"cents\": 5}", OverLimit), token: null)));
            answers.Add(("64 KiB + 1 chunked", await sidecar.Client.SendAsync(HttpMethod.Post, path,
                new ChunkedContent(Padded($"{{\"id\": \"{id}\", \"cents\": 5}}", OverLimit)))));
        }
        var after = await sidecar.StatusAsync();

        var wrong = answers.Where(pair => pair.Answer.Status != HttpStatusCode.BadRequest || pair.Answer.MediaType != "application/problem+json").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} bad request(s) did not get a 400 problem:\n"
            + string.Join("\n", wrong.Select(pair => $"{pair.Answer.Path} {Preview(pair.Request)} -> {(int)pair.Answer.Status} {pair.Answer.MediaType}: {pair.Answer.Body}"))
            + $"\n--- serve's stderr ---\n{sidecar.Process.StderrSoFar}");
        answers.ForEach(pair => pair.Answer.AssertProblem(HttpStatusCode.BadRequest));
        Assert.Equal(before, after);
        Assert.Equal(new AccountSnapshot(Key, 1000, 0, 10, 990, null, false, null), after);
        Assert.False(sidecar.Process.HasExited, sidecar.Process.StderrSoFar);
        // None of the bad settles touched the reservation; a good one settles it.
        (await sidecar.SettleAsync(id, 4)).AssertStatus(HttpStatusCode.OK);
        // A body just under the limit is read.
        (await sidecar.Client.PostAsync("/v1/reserve", Padded("{\"cents\": 5}", OverLimit - 1), token: null)).AssertStatus(HttpStatusCode.OK);
    }

    private static string Preview(string text) => text.Length <= 80 ? text : text[..80] + "...";

    /// <summary><paramref name="json"/> followed by spaces up to <paramref name="length"/> bytes: still valid JSON.</summary>
    private static string Padded(string json, int length) => json + new string(' ', length - json.Length);

    /// <summary>A body sent without Content-Length (chunked), so the server cannot refuse it by its header.</summary>
    private sealed class ChunkedContent(string text) : HttpContent
    {
        private readonly byte[] _bytes = Encoding.UTF8.GetBytes(text);

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
