using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Tests.Heads.TokenTagging;

[TestClass]
public class TokenTagDecoderTests
{
    static readonly string[] Labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"];

    [TestMethod]
    public void EachWordTakesItsFirstSubwordPrediction()
    {
        int?[] wordIds = [null, 0, 0, 1, 2, null];
        var words = TokenTagDecoder.ToWords(wordIds, [0, 1, 3, 2, 0, 0], [0.9f, 0.8f, 0.1f, 0.7f, 0.6f, 0.9f], wordCount: 4);
        CollectionAssert.AreEqual(new[] { 1, 2, 0, -1 }, words.LabelIds);
        CollectionAssert.AreEqual(new[] { 0.8f, 0.7f, 0.6f, 0f }, words.Probabilities);
        CollectionAssert.AreEqual(new[] { "B-PER", "I-PER", "O", "O" }, TokenTagDecoder.ToTags(words, Labels));
    }

    [TestMethod]
    public void ArgmaxOverProbabilityRows()
    {
        int?[] wordIds = [null, 0, 0, 1];
        float[] probs =
        [
            1.0f, 0, 0, 0, 0,
            0.1f, 0.6f, 0.1f, 0.1f, 0.1f,
            0.0f, 0.0f, 0.0f, 0.0f, 1.0f, // continuation: ignored
            0.3f, 0.3f, 0.2f, 0.1f, 0.1f, // tie: the first maximum wins, as torch.argmax
        ];
        var words = TokenTagDecoder.ToWords(wordIds, probs, labelCount: 5, wordCount: 2);
        CollectionAssert.AreEqual(new[] { 1, 0 }, words.LabelIds);
        CollectionAssert.AreEqual(new[] { 0.6f, 0.3f }, words.Probabilities);
    }

    [TestMethod]
    public void SpansCarryCharacterOffsetsAndMeanConfidence()
    {
        const string text = "Angela  Merkel visited Berlin.";
        string[] words = ["Angela", "Merkel", "visited", "Berlin", "."];
        var offsets = WordOffsets.Locate(text, words);
        CollectionAssert.AreEqual(new[] { (0, 6), (8, 14), (15, 22), (23, 29), (29, 30) }, offsets);

        var spans = TokenTagDecoder.ToEntitySpans(text, offsets, ["B-PER", "I-PER", "O", "B-LOC", "O"], [0.9f, 0.7f, 0.99f, 0.6f, 0.9f]);
        Assert.HasCount(2, spans);
        Assert.AreEqual(new EntitySpan("PER", 0, 14, "Angela  Merkel", 0.8f), spans[0] with { Confidence = 0.8f });
        Assert.AreEqual(0.8f, spans[0].Confidence, 1e-6f);
        Assert.AreEqual(new EntitySpan("LOC", 23, 29, "Berlin", 0.6f), spans[1]);
    }

    [TestMethod]
    public void MismatchedLengthsAreRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => TokenTagDecoder.ToWords([0, 1], [0], [0.5f, 0.5f], 2));
        StringAssert.Contains(e.Message, "2 tokens");
        Assert.ThrowsExactly<ArgumentException>(() => WordOffsets.Locate("a b", ["a", "c"]));
    }
}
