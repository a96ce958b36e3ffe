using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Heads.TokenTagging;

[TestClass]
public class TagSchemeConverterTests
{
    static string Convert(string tags, TagScheme to) => string.Join(" ", TagSchemeConverter.Convert(tags.Split(' '), to));

    [TestMethod]
    public void Iob1ToIob2MarksEveryChunkStart()
    {
        Assert.AreEqual("B-PER I-PER B-PER O B-LOC B-ORG",
            Convert("I-PER I-PER B-PER O I-LOC I-ORG", TagScheme.Iob2));
    }

    [TestMethod]
    public void Iob2ToIob1UsesBOnlyBetweenTouchingChunksOfOneType()
    {
        Assert.AreEqual("I-PER I-PER B-PER O I-LOC I-ORG",
            Convert("B-PER I-PER B-PER O B-LOC B-ORG", TagScheme.Iob1));
    }

    [TestMethod]
    public void Iob2ToBioesAndBack()
    {
        const string iob2 = "B-PER I-PER I-PER O B-LOC B-LOC I-LOC O B-MISC";
        const string bioes = "B-PER I-PER E-PER O S-LOC B-LOC E-LOC O S-MISC";
        Assert.AreEqual(bioes, Convert(iob2, TagScheme.Bioes));
        Assert.AreEqual(iob2, Convert(bioes, TagScheme.Iob2));
    }

    [TestMethod]
    public void EncodeRejectsOverlappingChunks()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            TagSchemeConverter.Encode([new TagChunk("A", 0, 2), new TagChunk("B", 1, 3)], 3, TagScheme.Iob2));
        StringAssert.Contains(e.Message, "overlaps");
    }
}
