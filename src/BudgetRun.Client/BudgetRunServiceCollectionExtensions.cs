using BudgetRun.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers budget-run's clients in a service collection.</summary>
public static class BudgetRunServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> that <see cref="BudgetSidecarClient"/> sends with.</summary>
    public const string SidecarHttpClientName = "BudgetRun.Sidecar";

    /// <summary>
    /// Registers <see cref="BudgetSidecarClient"/> (transient) over a named <see cref="HttpClient"/>
    /// of <see cref="IHttpClientFactory"/>, with <see cref="BudgetSidecarOptions"/> configured by
    /// <paramref name="configure"/> and validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the sidecar's address and token.</param>
    /// <returns>The builder of the sidecar's <see cref="HttpClient"/>, to configure it further (a timeout, a handler).</returns>
    public static IHttpClientBuilder AddBudgetRunSidecar(this IServiceCollection services, Action<BudgetSidecarOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<BudgetSidecarOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetSidecarOptions>, BudgetSidecarOptionsValidator>());
        services.TryAddTransient(provider => new BudgetSidecarClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(SidecarHttpClientName),
            provider.GetRequiredService<IOptions<BudgetSidecarOptions>>().Value,
            provider.GetService<TimeProvider>()));
        return services.AddHttpClient(SidecarHttpClientName);
    }
}
