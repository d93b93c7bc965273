using System.Collections.Concurrent;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Integration;

/// <summary>Every role against every method, with the expectations written from the contract's table
/// (not read from the server's method table, so a wrong registration fails here).</summary>
public class RoleMatrixTests
{
    private static readonly Dictionary<string, Role> ContractLeastRole = new()
    {
        ["ping"] = Role.Viewer,
        ["get_metrics"] = Role.Admin,
        ["get_status"] = Role.Admin,
        ["get_server_info"] = Role.Admin,
    };

    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [Test]
    public async Task EveryRoleAgainstEveryMethod()
    {
        var failures = new List<string>();
        foreach (var role in new[] { Role.None, Role.Viewer, Role.Operator, Role.Admin })
        {
            await using var client = await _host.ConnectAsync(role == Role.None ? null : role);
            foreach (var (method, least) in ContractLeastRole)
            {
                using var reply = await client.CallAsync(method);
                var root = reply.RootElement;
                var expected = role == Role.None ? "-32001" : role < least ? "-32003" : "result";
                var actual = root.TryGetProperty("result", out _) ? "result" : root.GetProperty("error").GetProperty("code").GetInt32().ToString();
                if (expected != actual) failures.Add($"{Roles.Name(role)} -> {method}: expected {expected}, got {actual}");
            }
        }
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public async Task FiftyConnectionsAuthenticatingAtOnceEachKeepTheirOwnRole()
    {
        var roles = new[] { Role.Viewer, Role.Operator, Role.Admin };
        var clients = new List<RpcTestClient>();
        try
        {
            for (var i = 0; i < 50; i++) clients.Add(await _host.ConnectAsync());
            var tokens = clients.Select((_, i) => _host.Token(roles[i % 3], user: "user" + i)).ToArray();
            using var gate = new ManualResetEventSlim(false);
            var outcomes = new ConcurrentDictionary<int, string>();
            var tasks = clients.Select((client, i) => Task.Run(async () =>
            {
                gate.Wait();
                using var auth = await client.CallAsync("authenticate", $$"""{"auth_token":"{{tokens[i]}}"}""");
                var bound = auth.RootElement.GetProperty("result").GetProperty("role").GetString();
                using var metrics = await client.CallAsync("get_metrics");
                using var ping = await client.CallAsync("ping");
                var adminAllowed = metrics.RootElement.TryGetProperty("result", out _);
                var pingAllowed = ping.RootElement.TryGetProperty("result", out _);
                outcomes[i] = $"{bound}/{adminAllowed}/{pingAllowed}";
            })).ToArray();
            gate.Set();
            await Task.WhenAll(tasks);

            for (var i = 0; i < 50; i++)
            {
                var role = roles[i % 3];
                Assert.That(outcomes[i], Is.EqualTo($"{Roles.Name(role)}/{role == Role.Admin}/True"), $"connection {i}");
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }
}
