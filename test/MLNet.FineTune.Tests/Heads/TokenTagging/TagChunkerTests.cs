using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Heads.TokenTagging;

[TestClass]
public class TagChunkerTests
{
    static string Describe(IEnumerable<TagChunk> chunks) => string.Join(" ", chunks.Select(c => $"{c.Type}[{c.Start},{c.End})"));

    [TestMethod]
    public void ReadsSeqevalDocExample()
    {
        // seqeval get_entities(['B-PER', 'I-PER', 'O', 'B-LOC']) == [('PER', 0, 1), ('LOC', 3, 3)] (inclusive ends).
        Assert.AreEqual("PER[0,2) LOC[3,4)", Describe(TagChunker.Chunks(["B-PER", "I-PER", "O", "B-LOC"])));
    }

    [TestMethod]
    public void OrphanInsideTagsStartAChunkLikeConlleval()
    {
        Assert.AreEqual("PER[0,2)", Describe(TagChunker.Chunks(["I-PER", "I-PER"])));
        Assert.AreEqual("PER[0,1) ORG[1,2)", Describe(TagChunker.Chunks(["B-PER", "I-ORG"])));
        Assert.AreEqual("PER[0,1) PER[1,2)", Describe(TagChunker.Chunks(["I-PER", "B-PER"])));
    }

    [TestMethod]
    public void ReadsBioesAndTypesContainingDashes()
    {
        Assert.AreEqual("creative-work[0,3) PER[3,4) LOC[5,6)",
            Describe(TagChunker.Chunks(["B-creative-work", "I-creative-work", "E-creative-work", "S-PER", "O", "S-LOC"])));
        // E closes a chunk even when the same type continues.
        Assert.AreEqual("X[0,2) X[2,3)", Describe(TagChunker.Chunks(["B-X", "E-X", "I-X"])));
    }

    [TestMethod]
    public void EmptyTagIsRejectedWithItsPosition()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => TagChunker.Chunks(["O", ""]));
        StringAssert.Contains(e.Message, "position 1");
    }
}
