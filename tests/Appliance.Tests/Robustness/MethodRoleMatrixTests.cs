using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>
/// Every method the server lists (get_server_info.methods, which is the method table) against every
/// role: unauthenticated -> -32001, below the least role -> -32003, at or above -> no auth error (and
/// never -32603). The least roles are written from docs/json-rpc-contract.md and docs/api.md, so a
/// wrong registration fails; a method the server has but the contract lacks (or the reverse) fails too.
/// Every call carries params chosen so that an allowed call changes nothing (invalid params, unknown
/// camera or file), and the reboot command is /bin/true.
/// </summary>
public class MethodRoleMatrixTests
{
    internal static readonly Dictionary<string, Role> ContractLeastRole = new()
    {
        ["authenticate"] = Role.None,
        ["ping"] = Role.Viewer,
        ["get_camera_list"] = Role.Viewer,
        ["get_camera_status"] = Role.Viewer,
        ["get_camera_capabilities"] = Role.Viewer,
        ["list_recordings"] = Role.Viewer,
        ["list_snapshots"] = Role.Viewer,
        ["get_recording_info"] = Role.Viewer,
        ["get_snapshot_info"] = Role.Viewer,
        ["get_streams"] = Role.Viewer,
        ["get_stream_token"] = Role.Viewer,
        ["subscribe_events"] = Role.Viewer,
        ["unsubscribe_events"] = Role.Viewer,
        ["get_subscription_stats"] = Role.Viewer,
        ["take_snapshot"] = Role.Operator,
        ["start_recording"] = Role.Operator,
        ["stop_recording"] = Role.Operator,
        ["delete_recording"] = Role.Operator,
        ["delete_snapshot"] = Role.Operator,
        ["get_metrics"] = Role.Admin,
        ["get_status"] = Role.Admin,
        ["get_server_info"] = Role.Admin,
        ["get_storage_info"] = Role.Admin,
        ["set_retention_policy"] = Role.Admin,
        ["cleanup_old_files"] = Role.Admin,
        ["press_button"] = Role.Admin,
        ["get_gpio_state"] = Role.Viewer,
        ["get_update_status"] = Role.Admin,
        ["install_update"] = Role.Admin,
        ["reboot"] = Role.Admin,
    };

    // Params under which an allowed call has no effect.
    private static readonly Dictionary<string, string?> HarmlessParams = new()
    {
        ["authenticate"] = """{"auth_type":"not-a-type"}""",
        ["get_camera_status"] = """{"device":"/dev/video99"}""",
        ["get_camera_capabilities"] = """{"device":"/dev/video99"}""",
        ["list_recordings"] = """{"limit":1}""",
        ["list_snapshots"] = """{"limit":1}""",
        ["get_recording_info"] = """{"filename":"nothing-here.mp4"}""",
        ["get_snapshot_info"] = """{"filename":"nothing-here.jpg"}""",
        ["get_streams"] = """{"device":"/dev/video99"}""",
        ["get_stream_token"] = """{"device":"/dev/video99"}""",
        ["subscribe_events"] = """{"topics":["no.such.topic"]}""",
        ["take_snapshot"] = """{"device":"/dev/video99","quality":0}""",
        ["start_recording"] = """{"device":"/dev/video99","format":"avi"}""",
        ["stop_recording"] = """{"device":"/dev/video99"}""",
        ["delete_recording"] = """{"filename":"../nothing.mp4"}""",
        ["delete_snapshot"] = """{"filename":"../nothing.jpg"}""",
        ["set_retention_policy"] = """{"policy_type":"no-such-policy","enabled":true}""",
        ["press_button"] = """{"button":"no-such-button"}""",
        ["install_update"] = """{"bundle":"relative/path.raucb"}""",
        ["reboot"] = """{"delay":0}""",
    };

    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(
        securityExtra: "rate_limit_burst = 1000000\nrate_limit_per_minute = 1000000",
        extraToml: "\n[update]\nreboot_command = \"/bin/true\"\n\n[mediamtx]\napi_port = 1\nrequest_timeout = 2\n");

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    private async Task<string[]> ServerMethodsAsync()
    {
        await using var admin = await _host.ConnectAsync(Role.Admin);
        using var info = await admin.CallAsync("get_server_info");
        return [.. info.RootElement.GetProperty("result").GetProperty("methods").EnumerateArray().Select(m => m.GetString()!)];
    }

    [Test]
    public async Task TheServersMethodTableIsTheContractsMethodList()
    {
        var methods = await ServerMethodsAsync();
        Assert.That(methods, Is.Unique);
        Assert.That(methods.Except(ContractLeastRole.Keys), Is.Empty, "methods the server answers but the contract does not name (add them with their least role)");
        Assert.That(ContractLeastRole.Keys.Except(methods), Is.Empty, "methods the contract names but the server does not answer");
    }

    [Test]
    public async Task EveryMethodAgainstEveryRole()
    {
        var methods = (await ServerMethodsAsync()).Where(ContractLeastRole.ContainsKey).ToArray();
        Assert.That(methods, Has.Length.GreaterThanOrEqualTo(25), "the server lists its methods");
        var failures = new List<string>();
        foreach (var role in new[] { Role.None, Role.Viewer, Role.Operator, Role.Admin })
        {
            await using var client = await _host.ConnectAsync(role == Role.None ? null : role);
            foreach (var method in methods)
            {
                var least = ContractLeastRole[method];
                using var reply = await client.CallAsync(method, HarmlessParams.GetValueOrDefault(method));
                var root = reply.RootElement;
                var code = ReplyShape.ErrorCode(root);
                var actual = code is null ? "result" : code.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var expected = least == Role.None ? "no auth error" : role == Role.None ? "-32001" : role < least ? "-32003" : "no auth error";
                var ok = expected == "no auth error" ? code is not (-32001 or -32003 or -32603) : actual == expected;
                if (!ok) failures.Add($"{Roles.Name(role)} -> {method} (least {Roles.Name(least)}): expected {expected}, got {Clip(root.GetRawText())}");
                else if (code == -32003 && !root.GetProperty("error").GetProperty("message").GetString()!.Contains($"requires the {Roles.Name(least)} role"))
                    failures.Add($"{Roles.Name(role)} -> {method}: -32003 names the wrong role: {root.GetRawText()}");
            }
        }
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public async Task APerCallTokenGivesItsRoleToThatCallOnly()
    {
        // The same matrix through params.auth_token on an unauthenticated connection, for one method per role.
        await using var client = await _host.ConnectAsync();
        foreach (var (method, least) in new[] { ("ping", Role.Viewer), ("stop_recording", Role.Operator), ("get_metrics", Role.Admin) })
        {
            foreach (var role in new[] { Role.Viewer, Role.Operator, Role.Admin })
            {
                var paramsJson = HarmlessParams.GetValueOrDefault(method) is { } p
                    ? p.TrimEnd('}') + $",\"auth_token\":\"{_host.Token(role)}\"}}"
                    : $"{{\"auth_token\":\"{_host.Token(role)}\"}}";
                using var reply = await client.CallAsync(method, paramsJson);
                var code = ReplyShape.ErrorCode(reply.RootElement);
                if (role < least) Assert.That(code, Is.EqualTo(-32003), $"{Roles.Name(role)} -> {method}");
                else Assert.That(code, Is.Not.EqualTo(-32001).And.Not.EqualTo(-32003), $"{Roles.Name(role)} -> {method}: {reply.RootElement.GetRawText()}");
            }
            using var without = await client.CallAsync(method, HarmlessParams.GetValueOrDefault(method));
            Assert.That(ReplyShape.ErrorCode(without.RootElement), Is.EqualTo(-32001), $"{method} without a token afterwards");
        }
    }

    private static string Clip(string s) => s.Length <= 200 ? s : s[..200] + "…";
}
