using System.Text.Json;
using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>
/// examples/grafana/budget-run.json is an importable Grafana dashboard: every query goes through the
/// ${DS_PROMETHEUS} data source variable and the workload filter, and the panels fit the grid.
/// (Its queries run against a real Prometheus in <see cref="PrometheusScrapeTests"/>.)
/// </summary>
public sealed class DashboardTests
{
    private const string DataSource = "${DS_PROMETHEUS}";

    private static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Examples.Dashboard));
        return document.RootElement.Clone();
    }

    [Fact]
    public void Dashboard_HasTheDataSourceAndWorkloadVariables()
    {
        var dashboard = Load();
        Assert.InRange(dashboard.GetProperty("schemaVersion").GetInt32(), 36, 41);
        Assert.Equal("budget-run", dashboard.GetProperty("uid").GetString());

        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        var dataSource = variables["DS_PROMETHEUS"];
        Assert.Equal("datasource", dataSource.GetProperty("type").GetString());
        Assert.Equal("prometheus", dataSource.GetProperty("query").GetString());

        var workload = variables["workload"];
        Assert.Equal("query", workload.GetProperty("type").GetString());
        Assert.Equal(DataSource, workload.GetProperty("datasource").GetProperty("uid").GetString());
        Assert.Equal("label_values(budget_run_budget_cents, workload)", workload.GetProperty("definition").GetString());
        Assert.Equal("label_values(budget_run_budget_cents, workload)", workload.GetProperty("query").GetProperty("query").GetString());
        Assert.True(workload.GetProperty("multi").GetBoolean());
        Assert.True(workload.GetProperty("includeAll").GetBoolean());
        Assert.Equal(".*", workload.GetProperty("allValue").GetString());

        // The account levels of the chosen workloads, all by default.
        var level = variables["budget_key"];
        Assert.Equal("query", level.GetProperty("type").GetString());
        Assert.Equal(DataSource, level.GetProperty("datasource").GetProperty("uid").GetString());
        Assert.Equal("label_values(budget_run_account_budget_cents{workload=~\"$workload\"}, budget_key)", level.GetProperty("definition").GetString());
        Assert.Equal(level.GetProperty("definition").GetString(), level.GetProperty("query").GetProperty("query").GetString());
        Assert.True(level.GetProperty("multi").GetBoolean());
        Assert.True(level.GetProperty("includeAll").GetBoolean());
        Assert.Equal(".*", level.GetProperty("allValue").GetString());
    }

    [Fact]
    public void AccountQueries_FilterByTheBudgetKeyVariable_AndGroupByIt()
    {
        var accountTargets = Load().GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray().Select(target => (Title: panel.GetProperty("title").GetString(), Expr: target.GetProperty("expr").GetString()!)))
            .Where(target => target.Expr.Contains("budget_run_account_", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(accountTargets);
        Assert.All(accountTargets, target =>
        {
            Assert.True(target.Expr.Contains("budget_key=~\"$budget_key\"", StringComparison.Ordinal), $"panel \"{target.Title}\": {target.Expr} ignores the budget_key variable");
            Assert.True(target.Expr.Contains("by (budget_key)", StringComparison.Ordinal), $"panel \"{target.Title}\": {target.Expr} mixes the levels");
        });
    }

    [Fact]
    public void EveryQuery_UsesTheDataSourceVariable_AndFiltersByWorkload()
    {
        var dashboard = Load();
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal(DataSource, panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel \"{title}\" has no query");
            Assert.Equal(targets.Count, targets.Select(t => t.GetProperty("refId").GetString()).Distinct().Count());
            foreach (var target in targets)
            {
                Assert.Equal(DataSource, target.GetProperty("datasource").GetProperty("uid").GetString());
                var expr = target.GetProperty("expr").GetString()!;
                Assert.True(expr.Contains("workload=~\"$workload\"", StringComparison.Ordinal), $"panel \"{title}\": {expr} ignores the workload variable");
            }
        }
    }

    [Fact]
    public void Panels_HaveUniqueIds_AndFitTheGridWithoutOverlapping()
    {
        var panels = Load().GetProperty("panels").EnumerateArray().Select(panel =>
        {
            var grid = panel.GetProperty("gridPos");
            return (Id: panel.GetProperty("id").GetInt32(), Title: panel.GetProperty("title").GetString()!,
                X: grid.GetProperty("x").GetInt32(), Y: grid.GetProperty("y").GetInt32(), W: grid.GetProperty("w").GetInt32(), H: grid.GetProperty("h").GetInt32());
        }).ToList();

        Assert.Equal(panels.Count, panels.Select(p => p.Id).Distinct().Count());
        Assert.All(panels, p => Assert.True(p.X >= 0 && p.W > 0 && p.X + p.W <= 24 && p.H > 0, $"panel \"{p.Title}\" is outside the 24-column grid"));
        foreach (var a in panels)
        {
            foreach (var b in panels.Where(b => b.Id > a.Id))
            {
                var overlap = a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H;
                Assert.False(overlap, $"panels \"{a.Title}\" and \"{b.Title}\" overlap");
            }
        }
    }

    [Fact]
    public void Dashboard_HasThePanelsUsersAskFor()
    {
        var titles = Load().GetProperty("panels").EnumerateArray().Select(panel => panel.GetProperty("title").GetString()).ToList();

        Assert.All(
            new[] { "Spend vs budget", "Remaining budget", "Attempts by outcome", "Attempt duration", "Backoff", "Kill switch", "Child running", "Account levels: used", "Account levels: remaining", "Account levels: kill switch" },
            title => Assert.Contains(title, titles));
    }
}
