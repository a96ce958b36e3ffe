using Microsoft.ML;
using MLNet.FineTune.Samples;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// The FewShotAndSearch sample's pipelines (samples/FewShotAndSearch/FewShotAndSearch.cs) on the shipped MiniLM. Its
/// SetFit path is left to SetFitEstimatorTests (training the body takes too long for this suite); the frozen-embedding
/// pipeline and the search run here.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class FewShotAndSearchSampleTests
{
    [TestMethod]
    public void FrozenEmbeddingSentimentFromSixteenSentencesGetsTheNewSentencesRight()
    {
        var ml = new MLContext(seed: 1);
        var model = FewShotAndSearch.TrainSentimentOnFrozenEmbeddings(ml);
        var labels = FewShotAndSearch.Classify(ml, model, FewShotAndSearch.NewSentences).Select(p => p.Label).ToArray();
        CollectionAssert.AreEqual(new[] { "positive", "negative", "positive", "negative" }, labels);
    }

    [TestMethod]
    public async Task SearchFindsTheAnsweringDocumentThroughTheTransformAndTheEmbeddingGenerator()
    {
        var index = FewShotAndSearch.Index(new MLContext(seed: 1));
        string[] expected = [FewShotAndSearch.Corpus[0], FewShotAndSearch.Corpus[4], FewShotAndSearch.Corpus[6]];
        for (int i = 0; i < FewShotAndSearch.Queries.Length; i++)
        {
            var hits = index.Search(FewShotAndSearch.Queries[i], top: 3).ToArray();
            Assert.AreEqual(expected[i], hits[0].Document, FewShotAndSearch.Queries[i]);
            Assert.IsTrue(hits[0].Score > hits[1].Score && hits[1].Score >= hits[2].Score);
            Assert.AreEqual(expected[i], await FewShotAndSearch.SearchWithGenerator(index.Model, FewShotAndSearch.Queries[i]));
        }
    }
}
