using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Pretrained;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Embeddings;

/// <summary>
/// A few MultipleNegativesRanking steps on all-MiniLM-L6-v2 (the shipped package) pull the training pairs together:
/// the mean cosine of (anchor, positive) rises, and more than that of mismatched pairs.
/// </summary>
[TestClass]
[TestCategory("Integration")]
public class ContrastiveMiniLmTests
{
    sealed class Row { public string Anchor { get; set; } = ""; public string Positive { get; set; } = ""; }

    // Pairs whose link is domain knowledge rather than shared words, so the base model rates them only moderately similar.
    static readonly (string Anchor, string Positive)[] Pairs =
    [
        ("How do I reset my password?", "Use the 'Forgot password' link on the sign-in page."),
        ("The invoice total looks wrong.", "Billing will review the charges on your statement."),
        ("My parcel has not arrived yet.", "Track the shipment with the number in your confirmation email."),
        ("Can I change my seat?", "Seat selection is available in Manage Booking until check-in."),
        ("The app crashes on startup.", "Reinstall the latest version and clear the cache."),
        ("How long is the warranty?", "Every device is covered for two years from purchase."),
        ("I want to cancel my subscription.", "You can end your plan at any time under Account settings."),
        ("Is breakfast included?", "The room rate covers a continental buffet each morning."),
    ];

    [TestMethod]
    public void TrainingRaisesTheCosineOfTrainingPairs()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Pairs.Select(p => new Row { Anchor = p.Anchor, Positive = p.Positive }));
        var baseModel = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2, InputColumnName = "Anchor" }).Fit(data);
        var options = new EmbeddingFineTuneOptions
        {
            BaseModel = PretrainedModels.AllMiniLmL6V2,
            Training = EmbeddingFineTuneOptions.DefaultTraining with { LearningRate = 2e-4, BatchSize = 4, Epochs = 2, WarmupRatio = 0 },
        };
        var tuned = ml.Transforms.FineTuneEmbeddings(options).Fit(data);

        var (matchedBefore, otherBefore) = Cosines(baseModel);
        var (matchedAfter, otherAfter) = Cosines(tuned);
        Console.WriteLine($"matched {matchedBefore:F3} -> {matchedAfter:F3}, mismatched {otherBefore:F3} -> {otherAfter:F3}");
        Assert.IsTrue(matchedAfter > matchedBefore + 0.05, $"training pairs' mean cosine {matchedBefore:F3} -> {matchedAfter:F3}");
        Assert.IsTrue(matchedAfter - otherAfter > matchedBefore - otherBefore, $"margin over mismatched pairs {matchedBefore - otherBefore:F3} -> {matchedAfter - otherAfter:F3}");
    }

    /// <summary>Mean cosine of the training pairs and of the mismatched (anchor i, positive j ≠ i) pairs.</summary>
    static (double Matched, double Other) Cosines(TextEmbeddingTransformer model)
    {
        var anchors = model.Embed(Pairs.Select(p => p.Anchor).ToArray());
        var positives = model.Embed(Pairs.Select(p => p.Positive).ToArray());
        static double Dot(float[] a, float[] b) => a.Zip(b).Sum(x => (double)x.First * x.Second); // normalised vectors
        double matched = Enumerable.Range(0, Pairs.Length).Average(i => Dot(anchors[i], positives[i]));
        double other = Enumerable.Range(0, Pairs.Length).SelectMany(i => Enumerable.Range(0, Pairs.Length).Where(j => j != i).Select(j => Dot(anchors[i], positives[j]))).Average();
        return (matched, other);
    }
}
