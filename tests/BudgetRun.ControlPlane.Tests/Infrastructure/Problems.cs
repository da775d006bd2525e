using System.Net;
using System.Text.Json;
using BudgetRun.ControlPlane.Tests.Fakes;
using Xunit.Sdk;

namespace BudgetRun.ControlPlane.Tests.Infrastructure;

/// <summary>What every error answer of both planes must be: a whole problem body, no secret, no stack trace.</summary>
internal static class Problems
{
    /// <summary>
    /// Asserts an <c>application/problem+json</c> body with a title, the status repeated and a
    /// non-empty detail, holding neither the ledger's password nor a stack frame; returns the detail.
    /// </summary>
    public static string AssertProblemWithDetail(this ControlAnswer answer, HttpStatusCode expected)
    {
        answer.AssertProblem(expected);
        if (!answer.Json.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.String || detail.GetString()!.Length == 0)
        {
            throw new XunitException($"the problem body has no detail\n{answer}");
        }
        Assert.DoesNotContain(LedgerSwitch.Password, answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", answer.Body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", answer.Body, StringComparison.Ordinal);
        Assert.Equal("no-store", answer.Headers["Cache-Control"]);
        return detail.GetString()!;
    }

    /// <summary>The 503 of a ledger fault: its detail is the ledger's one line, naming the ledger.</summary>
    public static void AssertLedgerUnavailable(this ControlAnswer answer)
    {
        var detail = answer.AssertProblemWithDetail(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("ledger unavailable", answer.Json.GetProperty("title").GetString());
        Assert.StartsWith($"ledger {LedgerSwitch.LedgerName} is unavailable: ", detail, StringComparison.Ordinal);
    }
}
