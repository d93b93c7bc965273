using Appliance.Configuration;

namespace Appliance.Tests.Configuration;

/// <summary>The TOML 1.0 rules on defining tables and keys, as <see cref="TomlKeyIndex.Redefinitions"/> applies them
/// (the examples are the spec's own where it has one). Tomlyn's parser accepts every invalid one here.</summary>
public class TomlKeyIndexTests
{
    private static IReadOnlyList<TomlRedefinition> Redefinitions(string toml) => TomlKeyIndex.Parse(toml, "t.toml").Redefinitions;

    [TestCase("[a]\nx = 1\n[a.b]\ny = 2\n", TestName = "Valid: [a] then [a.b]")]
    [TestCase("[a.b]\ny = 2\n[a]\nx = 1\n", TestName = "Valid: [a.b] then its super-table [a]")]
    [TestCase("[x.y.z.w]\n[x]\n", TestName = "Valid: a super-table defined afterwards")]
    [TestCase("[fruit.apple]\n[animal]\n[fruit.orange]\n", TestName = "Valid: tables out of order")]
    [TestCase("fruit.apple.smooth = true\nfruit.orange = 2\n", TestName = "Valid: dotted keys add to the tables they defined")]
    [TestCase("apple.type = 1\norange.type = 1\napple.skin = 2\n", TestName = "Valid: dotted keys out of order")]
    [TestCase("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n", TestName = "Valid: a header adds a sub-table to a dotted-key table")]
    [TestCase("a.b.c = 1\n[a.b.d]\n", TestName = "Valid: a header under root dotted keys")]
    [TestCase("[a.b.c]\nz = 9\n[a]\nb.d = 1\n", TestName = "Valid: dotted keys in a table an earlier header only created")]
    [TestCase("[\"a.b\"]\nx = 1\n[a.b]\nx = 1\n", TestName = "Valid: a quoted dot is part of the name")]
    [TestCase("[[p]]\nname = 1\n[[p]]\n[[p]]\nname = 2\n", TestName = "Valid: an array of tables given three times")]
    [TestCase("[[f]]\n[f.physical]\n[[f.v]]\n[[f.v]]\n[[f]]\n[f.physical]\n[[f.v]]\n", TestName = "Valid: each element has its own sub-tables")]
    [TestCase("[[a]]\nb.c = 1\n[[a]]\nb.c = 2\n", TestName = "Valid: the same dotted key in two elements")]
    [TestCase("[[albums.songs]]\nname = 1\n[albums]\nname = 2\n", TestName = "Valid: a table after an array of tables under it")]
    [TestCase("a = {b.c = 1, b.d = 2}\nx = [{b = 1}, {b = 2}]\n", TestName = "Valid: inline tables")]
    public void ValidDocumentsHaveNoRedefinitions(string toml) => Assert.That(Redefinitions(toml), Is.Empty);

    [TestCase("[fruit]\napple = \"red\"\n[fruit]\norange = \"orange\"\n", "fruit", 3, 1, TestName = "Invalid: [fruit] twice")]
    [TestCase("[a.b]\n[a]\n[a]\n", "a", 3, 2, TestName = "Invalid: a super-table defined twice")]
    [TestCase("name = \"Tom\"\nname = \"Pradyun\"\n", "name", 2, 1, TestName = "Invalid: a key twice")]
    [TestCase("spelling = \"favorite\"\n\"spelling\" = \"favourite\"\n", "spelling", 2, 1, TestName = "Invalid: a bare and a quoted key")]
    [TestCase("[a]\n['b'.c]\n[\"b\".c]\n", "b.c", 3, 2, TestName = "Invalid: a header with literal and basic quotes")]
    [TestCase("fruit.apple = 1\nfruit.apple.smooth = true\n", "fruit.apple", 2, 1, TestName = "Invalid: a value, then a table")]
    [TestCase("[fruit]\napple = \"red\"\n[fruit.apple]\ntexture = \"smooth\"\n", "fruit.apple", 3, 2, TestName = "Invalid: a key, then a header")]
    [TestCase("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple]\n", "fruit.apple", 4, 2, TestName = "Invalid: a header for a dotted-key table")]
    [TestCase("[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.taste]\n", "fruit.apple.taste", 4, 3, TestName = "Invalid: a header for a nested dotted-key table")]
    [TestCase("a.b = 1\n[a]\n", "a", 2, 1, TestName = "Invalid: a header for a root dotted-key table")]
    [TestCase("[a.b]\nc = 1\n[a]\nb.d = 2\n", "a.b", 4, 1, TestName = "Invalid: dotted keys add to a header's table")]
    [TestCase("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", "a.b.c", 4, 1, TestName = "Invalid: dotted keys add to a deeper header's table")]
    [TestCase("[a.b.c]\nz = 9\n[a]\nb.d = 1\n[a.b]\n", "a.b", 5, 4, TestName = "Invalid: a header for a table dotted keys defined in a super-table")]
    [TestCase("[product]\ntype = { name = \"Nail\" }\ntype.edible = false\n", "product.type", 3, 2, TestName = "Invalid: dotted keys add to an inline table")]
    [TestCase("[product]\ntype.name = \"Nail\"\ntype = { edible = false }\n", "product.type", 3, 2, TestName = "Invalid: an inline table for a dotted-key table")]
    [TestCase("a = { b = 1 }\n[a]\n", "a", 2, 1, TestName = "Invalid: a header for an inline table")]
    [TestCase("a = { b = 1 }\n[a.c]\n", "a", 2, 1, TestName = "Invalid: a header inside an inline table")]
    [TestCase("a = { b = 1, b = 2 }\n", "a.b", 1, 1, TestName = "Invalid: a key twice in an inline table")]
    [TestCase("x = [{ b = 1, b = 2 }]\n", "x[0].b", 1, 1, TestName = "Invalid: a key twice in an inline table in an array")]
    [TestCase("[fruit.physical]\ncolor = \"red\"\n[[fruit]]\n", "fruit", 3, 1, TestName = "Invalid: [[fruit]] after [fruit.physical]")]
    [TestCase("fruits = []\n[[fruits]]\n", "fruits", 2, 1, TestName = "Invalid: [[fruits]] appends to an array value")]
    [TestCase("[[fruits]]\n[[fruits.varieties]]\n[fruits.varieties]\n", "fruits[0].varieties", 3, 2, TestName = "Invalid: a table named like an array of tables")]
    [TestCase("[[fruits]]\n[fruits.physical]\n[[fruits.physical]]\n", "fruits[0].physical", 3, 2, TestName = "Invalid: an array of tables named like a table")]
    [TestCase("[[fruits]]\n[fruits.physical]\n[fruits.physical]\n", "fruits[0].physical", 3, 2, TestName = "Invalid: a sub-table twice in one element")]
    [TestCase("[[tab.arr]]\n[tab]\narr.val1 = 1\n", "tab.arr", 3, 1, TestName = "Invalid: dotted keys add to an array of tables")]
    [TestCase("[[a]]\nb.c = 1\n[a.b]\n", "a[0].b", 3, 2, TestName = "Invalid: a header for a dotted-key table in an element")]
    public void InvalidDocumentsNameTheSecondAndTheFirstLine(string toml, string path, int line, int firstLine)
    {
        var found = Redefinitions(toml);
        Assert.That(found.Select(r => (r.Path, r.Line, r.FirstLine)), Is.EqualTo(new[] { (path, line, firstLine) }));
        Assert.That(found[0].Message, Does.EndWith($"is defined twice (first at line {firstLine})").Or.Contains($"is defined twice (first at line {firstLine}, "));
    }

    [Test]
    public void LinesCountCommentsBlankLinesAndCrlf()
    {
        var found = Redefinitions("# header comment\r\n\r\n[server]  # the server\r\nport = 1\r\n\r\n# again\r\n[server]\r\n");
        Assert.That(found.Select(r => (r.Path, r.Line, r.FirstLine, r.Message)),
            Is.EqualTo(new[] { ("server", 7, 3, "table [server] is defined twice (first at line 3)") }));
    }

    [Test]
    public void EntriesStillListEveryKeyOfAValidDocument()
    {
        var index = TomlKeyIndex.Parse("[a]\nx = 1\n[a.b]\ny = 2\n[[c]]\nz = 3\n[[c]]\nz = 4\n", "t.toml");
        Assert.That(index.Redefinitions, Is.Empty);
        Assert.That(index.Entries.Where(e => e.Kind != TomlValueKind.Table).Select(e => (e.Path, e.Line)),
            Is.EquivalentTo(new[] { ("a.x", 2), ("a.b.y", 4), ("c[0].z", 6), ("c[1].z", 8) }));
    }
}
