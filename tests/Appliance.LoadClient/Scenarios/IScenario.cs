namespace Appliance.LoadClient.Scenarios;

/// <summary>One benchmark scenario: starts its own service instance(s), adds rows and observations to the report.</summary>
public interface IScenario
{
    string Name { get; }
    Task RunAsync(Options options, Report report, CancellationToken cancellation);
}
