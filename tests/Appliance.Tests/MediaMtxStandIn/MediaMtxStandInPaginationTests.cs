using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>List endpoints page like MediaMTX's paginate(): {itemCount, pageCount, items}.</summary>
public class MediaMtxStandInPaginationTests
{
    private MediaMtxStandIn _standIn = null!;
    private StandInClient _client = null!;

    [SetUp]
    public async Task StartWithFivePathsAsync()
    {
        var paths = new[] { "d", "b", "e", "a", "c" }.ToDictionary(n => "cam-" + n, _ => "{}");
        _standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, InitialPaths = paths });
        _client = new StandInClient(_standIn);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _standIn.DisposeAsync();
    }

    [TestCase("/v3/config/paths/list")]
    [TestCase("/v3/paths/list")]
    public async Task DefaultPageHoldsEverythingSortedByName(string list)
    {
        var reply = await _client.GetAsync(list);

        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That((int?)reply.Json["itemCount"], Is.EqualTo(5));
        Assert.That((int?)reply.Json["pageCount"], Is.EqualTo(1));
        Assert.That(reply.Json["items"]!.AsArray().Select(i => (string?)i!["name"]), Is.EqualTo(new[] { "cam-a", "cam-b", "cam-c", "cam-d", "cam-e" }));
    }

    [TestCase("/v3/config/paths/list", 0, new[] { "cam-a", "cam-b" })]
    [TestCase("/v3/config/paths/list", 2, new[] { "cam-e" })]
    [TestCase("/v3/config/paths/list", 7, new string[0])]
    [TestCase("/v3/paths/list", 1, new[] { "cam-c", "cam-d" })]
    public async Task PagesOfTwo(string list, int page, string[] names)
    {
        var reply = await _client.GetAsync($"{list}?itemsPerPage=2&page={page}");

        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That((int?)reply.Json["itemCount"], Is.EqualTo(5), "itemCount counts all items, not the page");
        Assert.That((int?)reply.Json["pageCount"], Is.EqualTo(3));
        Assert.That(reply.Json["items"]!.AsArray().Select(i => (string?)i!["name"]), Is.EqualTo(names));
    }

    [TestCase("itemsPerPage=0", "invalid items per page")]
    [TestCase("itemsPerPage=-1", "strconv.ParseUint: parsing \"-1\": invalid syntax")]
    [TestCase("itemsPerPage=ten", "strconv.ParseUint: parsing \"ten\": invalid syntax")]
    [TestCase("page=1.5", "strconv.ParseUint: parsing \"1.5\": invalid syntax")]
    [TestCase("page=4294967296", "strconv.ParseUint: parsing \"4294967296\": value out of range")]
    public async Task InvalidPagingIs400(string query, string error)
    {
        var reply = await _client.GetAsync($"/v3/config/paths/list?{query}");

        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That(reply.Error, Is.EqualTo(error));
    }

    [Test]
    public async Task EmptyListHasNoPages()
    {
        var reply = await _client.GetAsync("/v3/recordings/list?itemsPerPage=2");

        Assert.That(reply.Body, Is.EqualTo("""{"itemCount":0,"pageCount":0,"items":[]}"""));
    }
}
