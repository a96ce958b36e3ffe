using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 1: text is arbitrary user input. Every hostile string (unpaired surrogates, emoji, controls,
/// combining marks, odd whitespace, huge words) through every tokenizer kind, then through training and scoring
/// (built-in model, WordPiece and BPE checkpoints): accepted, with ids inside the vocabulary, offsets inside the text
/// and finite scores.
/// </summary>
internal sealed class UnicodeTextCases : ICorpusSource
{
    public IEnumerable<CorpusCase> Cases()
    {
        foreach (var (kind, write) in TokenizerKinds.All)
            foreach (var (name, text) in HostileStrings.Named)
                yield return CorpusCase.Accepted("unicode", $"{kind}-tokenizes-{name}", folder =>
                {
                    write(folder);
                    UnicodeRobustnessTests.AssertEncodesSafely(TransformerTokenizer.FromFolder(folder), text, $"{kind}/{name}");
                });

        // Training the built-in model: its vocabulary is learnt from these very texts.
        foreach (var name in new[] { "lone-high-surrogate", "lone-low-surrogate", "emoji-and-zwj-family", "non-bmp-cjk-and-math",
                     "control-characters", "combining-marks-pile", "noncharacters", "long-word-20000-mixed" })
            yield return CorpusCase.Accepted("unicode", $"built-in-model-trains-and-scores-{name}", _ =>
            {
                var text = HostileStrings.Named.Single(n => n.Name == name).Text;
                var ml = new MLContext(seed: 1);
                var rows = SyntheticSentiment.Generate(32, seed: 3);
                for (int i = 0; i < rows.Count; i += 4) rows[i].Text = rows[i].Text + " " + text;
                var model = ml.Transforms.FineTune(CorpusFixtures.Quick).Fit(ml.Data.LoadFromEnumerable(rows));
                UnicodeScoring.AssertScoresEveryHostileString(model);
            });

        yield return CorpusCase.Accepted("unicode", "wordpiece-checkpoint-scores-every-hostile-string", folder =>
            UnicodeScoring.AssertScoresEveryHostileString(CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(IdFixtures.Bert(folder)))));
        yield return CorpusCase.Accepted("unicode", "bpe-checkpoint-scores-every-hostile-string", folder =>
            UnicodeScoring.AssertScoresEveryHostileString(CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(IdFixtures.Roberta(folder)))));
        yield return CorpusCase.Accepted("unicode", "reloaded-model-scores-seeded-random-strings", _ =>
        {
            var model = (FineTuneTransformer)CorpusFixtures.Fit(CorpusFixtures.Quick);
            var random = new Random(21);
            UnicodeScoring.AssertScores(IdFixtures.Reload(model), Enumerable.Range(0, 40).Select(_ => HostileStrings.Random(random, 300)).ToArray());
        });
        yield return CorpusCase.Accepted("unicode", "text-pairs-of-hostile-strings", folder =>
        {
            var model = IdFixtures.FitPairs(CorpusFixtures.OnCheckpoint(IdFixtures.Bert(folder)) with { SecondTextColumnName = "Second" });
            var texts = HostileStrings.Named.Select(n => n.Text).ToArray();
            var scores = IdFixtures.ScorePairs(model, texts.Select((t, i) => (t, texts[(i + 5) % texts.Length])).ToArray());
            Assert.IsTrue(scores.All(float.IsFinite), string.Join(", ", scores));
        });
    }
}

internal static class UnicodeScoring
{
    public static void AssertScoresEveryHostileString(ITransformer model) => AssertScores(model, HostileStrings.Named.Select(n => n.Text).ToArray());

    /// <summary>Scores each text by Transform and by a PredictionEngine: finite, the same both ways.</summary>
    public static void AssertScores(ITransformer model, string[] texts)
    {
        var ml = new MLContext(1);
        var rows = texts.Select(t => new SentimentRow { Text = t }).ToArray();
        var scores = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
        Assert.AreEqual(texts.Length, scores.Length);
        using var engine = ml.Model.CreatePredictionEngine<SentimentRow, Production.Scored>(model);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.IsTrue(float.IsFinite(scores[i]), $"text {i}: score {scores[i]}");
            Assert.AreEqual(scores[i], engine.Predict(rows[i]).Score, 1e-4, $"text {i}");
        }
    }
}
