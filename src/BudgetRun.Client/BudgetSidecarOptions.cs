using Microsoft.Extensions.Options;

namespace BudgetRun.Client;

/// <summary>Where the <c>budget-run serve</c> sidecar is and how to authenticate to it.</summary>
public sealed class BudgetSidecarOptions
{
    /// <summary>The sidecar's URL, as given to <c>--listen</c> (for example <c>http://127.0.0.1:8080</c>). Required.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The sidecar's control token (<c>--control-token-file</c>); null when it runs without one.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the control token (a mounted secret), read when a client is created; instead of <see cref="Token"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// How long releasing a reservation on dispose, and settling one from the Polly strategy, may
    /// take. These run after the caller's work, so the caller's cancellation does not stop them.
    /// Default 5 s; more than zero, at most 5 minutes.
    /// </summary>
    public TimeSpan CompletionTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Validates <see cref="BudgetSidecarOptions"/>: what <see cref="BudgetSidecarClient"/> would otherwise refuse at its first request.</summary>
public sealed class BudgetSidecarOptionsValidator : IValidateOptions<BudgetSidecarOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BudgetSidecarOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static IEnumerable<string> Failures(BudgetSidecarOptions options)
    {
        if (options.BaseAddress is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
        {
            yield return $"{nameof(BudgetSidecarOptions)}.{nameof(BudgetSidecarOptions.BaseAddress)} must be the sidecar's absolute http or https URL";
        }
        if (options.Token is not null && options.TokenFile is not null)
        {
            yield return $"{nameof(BudgetSidecarOptions)}: give {nameof(BudgetSidecarOptions.Token)} or {nameof(BudgetSidecarOptions.TokenFile)}, not both";
        }
        if (options.Token is { } token && Tokens.Problem(token) is { } problem)
        {
            yield return $"{nameof(BudgetSidecarOptions)}.{nameof(BudgetSidecarOptions.Token)}: {problem}";
        }
        if (options.TokenFile is { Length: 0 })
        {
            yield return $"{nameof(BudgetSidecarOptions)}.{nameof(BudgetSidecarOptions.TokenFile)} is empty";
        }
        if (options.CompletionTimeout <= TimeSpan.Zero || options.CompletionTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"{nameof(BudgetSidecarOptions)}.{nameof(BudgetSidecarOptions.CompletionTimeout)} must be more than zero and at most 5 minutes";
        }
    }
}
