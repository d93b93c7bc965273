using System.Text;
using System.Text.Json;
using Appliance.Rpc;
using Appliance.Security;
using Microsoft.Extensions.Logging;
using NSubstitute;

namespace Appliance.Tests.Rpc;

/// <summary>The dispatcher's error mapping and checks, without a socket.</summary>
public class RpcDispatcherTests
{
    private const string Secret = "dispatcher-test-secret-0123456789abcdef0123";
    private JwtAuthority _jwt = null!;
    private RpcMetrics _metrics = null!;
    private ILogger<RpcDispatcher> _log = null!;
    private RpcDispatcher _dispatcher = null!;

    [SetUp]
    public void SetUp()
    {
        _jwt = new JwtAuthority(() => Secret);
        _metrics = new RpcMetrics();
        _log = Substitute.For<ILogger<RpcDispatcher>>();
        var table = new RpcMethodTable();
        table.Add("echo_device", Role.Viewer, call => ValueTask.FromResult(RpcResult.From(call.RequiredString("device"), RpcJsonContext.Default.String)));
        table.Add("limit", Role.Viewer, call => ValueTask.FromResult(RpcResult.From(call.OptionalInteger("limit", 1, 1000)?.ToString() ?? "none", RpcJsonContext.Default.String)));
        table.Add("operate", Role.Operator, _ => ValueTask.FromResult(RpcResult.From("done", RpcJsonContext.Default.String)));
        table.Add("camera_gone", Role.Viewer, _ => throw new RpcException(RpcErrorCode.CameraNotFound, "Camera not found: /dev/video9"));
        table.Add("crash", Role.Viewer, _ => throw new InvalidOperationException("boom\nsecret stack detail"));
        table.Freeze();
        _dispatcher = new RpcDispatcher(table, new Authenticator(_jwt, new ApiKeyStore(() => "/nonexistent/keys.json")), _metrics, _log);
    }

    private static RpcConnection Connection(int burst = 100) => new(null, "localhost", 16, 16,
        new RequestBucket(burst, perMinute: 1));

    private RpcConnection Viewer()
    {
        var c = Connection();
        c.Bind(_jwt.Validate(_jwt.Mint("u", Role.Viewer, TimeSpan.FromHours(1))));
        return c;
    }

    private async Task<JsonDocument?> Send(RpcConnection connection, string raw)
    {
        var frame = await _dispatcher.HandleAsync(connection, Encoding.UTF8.GetBytes(raw), CancellationToken.None);
        if (frame is not { } f) return null;
        // Copy before releasing: a JsonDocument over pooled memory would see it reused.
        var doc = JsonDocument.Parse(f.Buffer.AsSpan(0, f.Length).ToArray());
        f.Release();
        return doc;
    }

    [Test]
    public async Task MissingRequiredParamNamesTheField()
    {
        using var reply = await Send(Viewer(), """{"jsonrpc":"2.0","id":1,"method":"echo_device","params":{}}""");
        var error = reply!.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(error.GetProperty("data").GetProperty("field").GetString(), Is.EqualTo("device"));
    }

    [TestCase("0", "between 1 and 1000")]
    [TestCase("1001", "between 1 and 1000")]
    [TestCase("\"ten\"", "must be an integer")]
    [TestCase("1.5", "must be an integer")]
    public async Task OutOfRangeOrWrongTypeIsMinus32602(string value, string why)
    {
        using var reply = await Send(Viewer(), $$$"""{"jsonrpc":"2.0","id":1,"method":"limit","params":{"limit":{{{value}}}}}""");
        var error = reply!.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(error.GetProperty("message").GetString(), Does.Contain(why));
    }

    [Test]
    public async Task ApplicationErrorsKeepTheirCodeAndMessage()
    {
        using var reply = await Send(Viewer(), """{"jsonrpc":"2.0","id":1,"method":"camera_gone"}""");
        var error = reply!.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32004));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("Camera not found: /dev/video9"));
    }

    [Test]
    public async Task UnexpectedExceptionsAreInternalErrorsAndLogged()
    {
        using var reply = await Send(Viewer(), """{"jsonrpc":"2.0","id":1,"method":"crash"}""");
        var error = reply!.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32603));
        Assert.That(error.GetProperty("message").GetString(), Does.Not.Contain("secret stack detail"));
        _log.ReceivedWithAnyArgs(1).Log(LogLevel.Error, default, default(object)!, default, default!);
    }

    [Test]
    public async Task RoleBelowTheMethodsLeastRoleIsMinus32003()
    {
        using var reply = await Send(Viewer(), """{"jsonrpc":"2.0","id":1,"method":"operate"}""");
        Assert.That(reply!.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32003));
        Assert.That(reply.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("operator"));
    }

    [Test]
    public async Task RateLimitIsCheckedBeforeAnythingElse()
    {
        var connection = Connection(burst: 2);
        using var a = await Send(connection, """{"jsonrpc":"2.0","id":1,"method":"nope"}""");
        using var b = await Send(connection, """{"jsonrpc":"2.0","id":2,"method":"nope"}""");
        using var c = await Send(connection, """{"jsonrpc":"2.0","id":3,"method":"nope"}""");
        Assert.That(new[] { a, b, c }.Select(d => d!.RootElement.GetProperty("error").GetProperty("code").GetInt32()).ToArray(),
            Is.EqualTo(new[] { -32601, -32601, -32002 }));
    }

    [Test]
    public async Task NotificationsProduceNoFrameEvenWhenTheyFail()
    {
        Assert.That(await Send(Viewer(), """{"jsonrpc":"2.0","method":"crash"}"""), Is.Null);
        Assert.That(await Send(Connection(), """{"jsonrpc":"2.0","method":"operate"}"""), Is.Null);
        Assert.That(_metrics.Errors, Is.EqualTo(2));
    }

    [Test]
    public async Task MetricsTrackRequestsAndErrors()
    {
        var viewer = Viewer();
        (await Send(viewer, """{"jsonrpc":"2.0","id":1,"method":"limit"}"""))!.Dispose();
        (await Send(viewer, """{"jsonrpc":"2.0","id":2,"method":"camera_gone"}"""))!.Dispose();
        (await Send(viewer, "{oops"))!.Dispose();
        Assert.That((_metrics.TotalRequests, _metrics.Errors, _metrics.ProtocolErrors), Is.EqualTo((3L, 2L, 1L)));
        Assert.That(_metrics.ErrorRate, Is.EqualTo(2.0 / 3).Within(1e-9));
    }
}
