using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Heads.TokenTagging;

[TestClass]
public class SubwordLabelAlignerTests
{
    static readonly string[] Labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC"];
    const int Ignore = SubwordLabelAligner.IgnoreIndex;

    // "[CLS] Jo ##hn lives in Ber ##lin [SEP] [PAD]": words John(B-PER) lives(O) in(O) Berlin(B-LOC).
    static readonly int?[] WordIds = [null, 0, 0, 1, 2, 3, 3, null, null];
    static readonly int[] WordLabels = [1, 0, 0, 3];

    [TestMethod]
    public void OnlyFirstSubwordCarriesTheLabel()
    {
        var aligned = new SubwordLabelAligner(Labels).Align(WordIds, WordLabels);
        CollectionAssert.AreEqual(new[] { Ignore, 1, Ignore, 0, 0, 3, Ignore, Ignore, Ignore }, aligned);
    }

    [TestMethod]
    public void LabelAllSubwordsTurnsBeginIntoInside()
    {
        var aligned = new SubwordLabelAligner(Labels).Align(WordIds, WordLabels, labelAllSubwords: true);
        CollectionAssert.AreEqual(new[] { Ignore, 1, 2, 0, 0, 3, 4, Ignore, Ignore }, aligned);
    }

    [TestMethod]
    public void BeginWithoutInsideLabelKeepsItsOwnId()
    {
        // B-MISC has no I-MISC in this label set, so HF's b_to_i_label maps it to itself.
        var aligned = new SubwordLabelAligner(Labels).Align([0, 0], [5], labelAllSubwords: true);
        CollectionAssert.AreEqual(new[] { 5, 5 }, aligned);
    }

    [TestMethod]
    public void WordAfterSpecialTokenCountsAsNewLikeHuggingFace()
    {
        // HF compares with the previous token's word id, which is None after a special token.
        var aligned = new SubwordLabelAligner(Labels).Align([0, null, 0], [1]);
        CollectionAssert.AreEqual(new[] { 1, Ignore, 1 }, aligned);
    }

    [TestMethod]
    public void WordIdWithoutLabelIsRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SubwordLabelAligner(Labels).Align([0, 1], [0]));
        StringAssert.Contains(e.Message, "Token 1 belongs to word 1, but only 1 word labels were given");
    }
}
