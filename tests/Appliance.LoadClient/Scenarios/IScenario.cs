namespace Appliance.LoadClient.Scenarios;

/// <summary>One benchmark scenario: starts its own service instance(s), adds rows and observations to the report.</summary>
public interface IScenario
{
    string Name { get; }
    Task RunAsync(Options options, Report report, CancellationToken cancellation);

    /// <summary>The most this scenario may take: the run's hard ceiling is the sum over the chosen scenarios.</summary>
    TimeSpan Budget(Options options) => TimeSpan.FromSeconds(120 + 4 * options.DurationSeconds);
}
