using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Pretrained;

namespace MLNet.FineTune.Samples;

/// <summary>A text and its class, as a few-shot user writes them by hand.</summary>
public sealed class LabelledText
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>What the sentiment pipeline predicts for one text.</summary>
public sealed class SentimentGuess
{
    public string PredictedLabel { get; set; } = "";
}

/// <summary>
/// The FewShotAndSearch sample's pipelines (the test suite runs them too): a sentiment classifier from 16 labelled
/// sentences, and a tiny semantic-search index, both over all-MiniLM-L6-v2 sentence embeddings.
/// </summary>
public static class FewShotAndSearch
{
    public static readonly LabelledText[] Examples =
    [
        new() { Text = "I loved every minute of it.", Label = "positive" },
        new() { Text = "The staff were friendly and the room was spotless.", Label = "positive" },
        new() { Text = "A beautiful, moving story with a great cast.", Label = "positive" },
        new() { Text = "Works perfectly and the battery lasts for days.", Label = "positive" },
        new() { Text = "Delivery was quick and the packaging was lovely.", Label = "positive" },
        new() { Text = "Best pizza I have had in years.", Label = "positive" },
        new() { Text = "Clear instructions, and setup took two minutes.", Label = "positive" },
        new() { Text = "I would happily recommend it to anyone.", Label = "positive" },
        new() { Text = "A complete waste of time and money.", Label = "negative" },
        new() { Text = "The food was cold and the waiter was rude.", Label = "negative" },
        new() { Text = "It broke after two days and support never answered.", Label = "negative" },
        new() { Text = "Dull, predictable and far too long.", Label = "negative" },
        new() { Text = "The app crashes every time I open it.", Label = "negative" },
        new() { Text = "Noisy room, thin walls, and a broken shower.", Label = "negative" },
        new() { Text = "I regret buying this.", Label = "negative" },
        new() { Text = "The plot made no sense and the acting was wooden.", Label = "negative" },
    ];

    public static readonly string[] NewSentences =
    [
        "What a fantastic experience, we will definitely come back.",
        "The screen cracked within a week.",
        "Honestly one of the most enjoyable films this year.",
        "Terrible customer service, I am still waiting for a refund.",
    ];

    public static readonly string[] Corpus =
    [
        "To reset your password, open Settings, choose Security and click 'Forgot password'.",
        "Two-factor authentication adds a code from your phone to every sign-in.",
        "Invoices are emailed on the first day of each month and can be downloaded as PDF.",
        "You can change your billing address under Account > Billing.",
        "Refunds are issued to the original payment method within 5 business days.",
        "Our office is closed on public holidays.",
        "The mobile app works offline and syncs when you reconnect.",
        "Export your data as CSV from the Reports page.",
        "Team members can be invited by email from the Members page.",
        "Admins can remove a user and transfer their files to someone else.",
        "The free plan includes 3 projects and 1 GB of storage.",
        "Upgrade to Pro for unlimited projects and priority support.",
        "Dark mode can be switched on in Appearance settings.",
        "Keyboard shortcuts are listed by pressing '?' anywhere in the app.",
        "Notifications can be muted per project or for the whole workspace.",
        "Our API uses bearer tokens; create one under Developer settings.",
        "Webhooks send a POST request when a task changes state.",
        "Deleted items stay in the trash for 30 days before they are removed for good.",
        "The desktop app is available for Windows, macOS and Linux.",
        "Contact support by chat, Monday to Friday, 9:00 to 17:00 CET.",
    ];

    public static readonly string[] Queries = ["I forgot my login credentials", "how do I get my money back?", "can I use it without internet"];

    /// <summary>
    /// SetFit: fine-tunes the sentence encoder on pairs drawn from the examples (same class: similar, different: not),
    /// then fits a logistic regression on its embeddings. 5 iterations (SetFit's default is 20) keep the sample fast.
    /// </summary>
    public static ITransformer TrainSentiment(MLContext ml) =>
        ml.MulticlassClassification.Trainers.SetFit(new SetFitOptions
        {
            BaseModel = PretrainedModels.AllMiniLmL6V2,
            TextColumnName = "Text", LabelColumnName = "Label",   // labels are plain strings
            NumIterations = 5,                                    // pairs per example: 5 similar + 5 dissimilar (default 20)
        }).Fit(ml.Data.LoadFromEnumerable(Examples));

    /// <summary>Without fine-tuning: frozen sentence embeddings feed an ML.NET trainer (faster, less accurate).</summary>
    public static ITransformer TrainSentimentOnFrozenEmbeddings(MLContext ml)
    {
        var pipeline = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2 })
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            // No L1 (its default of 1 zeroes every weight when there are only 16 rows); L2 = 1 is scikit-learn's C = 1.
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(featureColumnName: "Embedding", l1Regularization: 0, l2Regularization: 1))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        return pipeline.Fit(ml.Data.LoadFromEnumerable(Examples));
    }

    public static IEnumerable<(string Text, string Label)> Classify(MLContext ml, ITransformer model, IEnumerable<string> texts)
    {
        var engine = ml.Model.CreatePredictionEngine<LabelledText, SentimentGuess>(model);
        foreach (var text in texts) yield return (text, engine.Predict(new LabelledText { Text = text }).PredictedLabel);
    }

    /// <summary>Embeds the corpus once through the transform (L2-normalised vectors, so a dot product is the cosine).</summary>
    public static SearchIndex Index(MLContext ml)
    {
        var corpus = ml.Data.LoadFromEnumerable(Corpus.Select(d => new LabelledText { Text = d }));
        var model = ml.Transforms.TextEmbedding(new TextEmbeddingOptions { BaseModel = PretrainedModels.AllMiniLmL6V2 }).Fit(corpus);
        var vectors = model.Transform(corpus).GetColumn<float[]>("Embedding").ToArray();
        return new SearchIndex(model, vectors);
    }

    public sealed record Hit(string Document, float Score);

    public sealed class SearchIndex(TextEmbeddingTransformer model, float[][] vectors)
    {
        public TextEmbeddingTransformer Model => model;

        public IEnumerable<Hit> Search(string query, int top)
        {
            var q = model.Embed([query])[0];
            return vectors.Select((v, i) => new Hit(Corpus[i], Dot(q, v))).OrderByDescending(h => h.Score).Take(top);
        }
    }

    /// <summary>The same search through Microsoft.Extensions.AI's interface: what Semantic Kernel / vector-store code calls.</summary>
    public static async Task<string> SearchWithGenerator(TextEmbeddingTransformer model, string query)
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = model.AsEmbeddingGenerator();
        var documents = await generator.GenerateAsync(Corpus);
        var q = (await generator.GenerateAsync([query]))[0].Vector.ToArray();
        return Corpus[Enumerable.Range(0, Corpus.Length).MaxBy(i => Dot(q, documents[i].Vector.ToArray()))];
    }

    static float Dot(float[] a, float[] b)
    {
        float sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
