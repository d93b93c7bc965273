using System.Text;
using System.Text.Json;
using Appliance.Rpc;
using Appliance.Rpc.Methods;
using Appliance.Security;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Storage;

/// <summary>delete_recording of a file the recorder is writing, through the real dispatcher
/// (the recorder's IActiveFiles replaced by a fake): the wire error and the file kept.</summary>
public class ActiveFileRpcTests
{
    private const string Secret = "storage-test-secret-0123456789abcdef0123456789";

    [Test]
    public async Task DeletingAFileBeingRecordedIsRefusedWithTheFieldNamed()
    {
        using var dir = new TestDirectory();
        var rig = StorageRig.In(dir);
        var live = StorageSamples.Bytes(rig.Recordings, "camera0_live.mp4", 1000);
        rig.Active.Paths.Add(live);

        var table = new RpcMethodTable();
        new FileMethods(rig.Catalog).Register(table);
        table.Freeze();
        var jwt = new JwtAuthority(() => Secret);
        var dispatcher = new RpcDispatcher(table, new Authenticator(jwt, new ApiKeyStore(() => dir.File("keys.json"))), new RpcMetrics(), NullLogger<RpcDispatcher>.Instance);
        using var connection = new RpcConnection(null, "localhost", 16, 16, new RequestBucket(100, perMinute: 1));
        connection.Bind(jwt.Validate(jwt.Mint("op", Role.Operator, TimeSpan.FromHours(1))));

        using var reply = await Send(dispatcher, connection, """{"jsonrpc":"2.0","id":7,"method":"delete_recording","params":{"filename":"camera0_live.mp4"}}""");
        Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "camera0_live.mp4 is being recorded; stop the recording first", "filename")));
        Assert.That(reply.RootElement.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(File.Exists(live), Is.True);

        // Once the recording has finished, the same call deletes it.
        rig.Active.Paths.Clear();
        using var again = await Send(dispatcher, connection, """{"jsonrpc":"2.0","id":8,"method":"delete_recording","params":{"filename":"camera0_live.mp4"}}""");
        Assert.That(RpcAssert.Result(again).GetProperty("deleted").GetBoolean(), Is.True);
        Assert.That(File.Exists(live), Is.False);
    }

    private static async Task<JsonDocument> Send(RpcDispatcher dispatcher, RpcConnection connection, string raw)
    {
        var frame = await dispatcher.HandleAsync(connection, Encoding.UTF8.GetBytes(raw), CancellationToken.None);
        var f = frame ?? throw new AssertionException("no reply");
        var doc = JsonDocument.Parse(f.Buffer.AsSpan(0, f.Length).ToArray());
        f.Release();
        return doc;
    }
}
