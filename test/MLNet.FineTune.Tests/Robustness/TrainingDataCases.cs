using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Heads.TokenTagging;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.Persistence;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Careless training and validation data (issue #12, item 7): missing or mistyped columns, a validation set whose label
/// type differs from the training data's, NaN labels, tags that do not match the words, a validation fraction that
/// leaves nothing to train on, step counts that overflow. Each is refused naming the data set, column or row, or
/// accepted and checked.
/// </summary>
internal sealed class TrainingDataCases : ICorpusSource
{
    const string Category = "data";

    sealed class FloatLabelRow { public string Text { get; set; } = ""; public float Label { get; set; } }
    sealed class DoubleLabelRow { public string Text { get; set; } = ""; public double Label { get; set; } }
    sealed class StringLabelRow { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }
    sealed class IntTextRow { public int Text { get; set; } public bool Label { get; set; } }
    sealed class TextOnlyRow { public string Text { get; set; } = ""; }
    sealed class NerRow { public string Text { get; set; } = ""; public string Tags { get; set; } = ""; }
    sealed class VectorLabelRow { public string Text { get; set; } = ""; [VectorType(2)] public float[] Label { get; set; } = [0, 1]; }

    static IDataView Load<T>(IEnumerable<T> rows) where T : class => new MLContext(1).Data.LoadFromEnumerable(rows);

    static FineTuneTransformer Fit(FineTuneOptions options, IDataView data) => new MLContext(1).Transforms.FineTune(options).Fit(data);

    static IDataView Sentiment(int rows = 48) => CorpusFixtures.Sentiment(new MLContext(1), rows);

    /// <summary>Sentiment rows with the label as a float class id (0 or 1), with <paramref name="poison"/> at row 5.</summary>
    static IDataView FloatClasses(float poison, int rows = 32) =>
        Load(SyntheticSentiment.Generate(rows, 3).Select((r, i) => new FloatLabelRow { Text = r.Text, Label = i == 5 ? poison : r.Label ? 1 : 0 }));

    static IDataView Ner(params (string Text, string Tags)[] rows) => Load(rows.Select(r => new NerRow { Text = r.Text, Tags = r.Tags }));

    static readonly (string, string)[] NerRows =
    [
        ("Alice went to Paris", "B-PER O O B-LOC"), ("Bob lives in Lima", "B-PER O O B-LOC"), ("the weather is nice", "O O O O"),
        ("Carla met Bob", "B-PER O B-PER"), ("Osaka is big", "B-LOC O O"), ("Erin flew to Berlin", "B-PER O O B-LOC"),
    ];

    static FineTuneOptions NerOptions(InvalidTagHandling handling = InvalidTagHandling.Repair) =>
        CorpusFixtures.Quick with { Heads = [new TokenClassificationHead(invalidTags: handling)] };

    /// <summary>A progress sink that cancels the run after <paramref name="steps"/> optimizer steps.</summary>
    sealed class CancelAfter(CancellationTokenSource source, int steps) : IProgress<FineTuneProgress>
    {
        public void Report(FineTuneProgress value) { if (value.Step >= steps) source.Cancel(); }
    }

    public IEnumerable<CorpusCase> Cases()
    {
        // Empty data and columns that are missing or of the wrong type.
        yield return CorpusCase.Refused(Category, "empty-training-data", _ => Fit(CorpusFixtures.Quick, Load(Array.Empty<SentimentRow>())), "no rows", "Text");
        yield return CorpusCase.Refused(Category, "text-column-is-int", _ => Fit(CorpusFixtures.Quick, Load(new[] { new IntTextRow { Text = 3 } })), "Text", "expected String");
        yield return CorpusCase.Refused(Category, "text-column-missing", _ => Fit(CorpusFixtures.Quick with { TextColumnName = "Review" }, Sentiment()), "Review", "not found");
        yield return CorpusCase.Refused(Category, "label-column-missing", _ => Fit(CorpusFixtures.Quick, Load(new[] { new TextOnlyRow { Text = "good" } })), "Label", "not found");
        yield return CorpusCase.Refused(Category, "label-column-is-a-vector", _ => Fit(CorpusFixtures.Quick, Load(new[] { new VectorLabelRow { Text = "good" } })), "Label", "expected");
        yield return CorpusCase.Refused(Category, "regression-label-is-string", _ => Fit(CorpusFixtures.Quick with { Task = FineTuneTask.Regression },
            Load(new[] { new StringLabelRow { Text = "good", Label = "3.5" } })), "Label", "Single or Double");

        // The validation set must match the training data.
        yield return CorpusCase.Refused(Category, "validation-set-missing-label-column", _ =>
            Fit(CorpusFixtures.Quick with { ValidationSet = Load(new[] { new TextOnlyRow { Text = "good" } }) }, Sentiment()), "ValidationSet", "'Label'", "not found");
        yield return CorpusCase.Refused(Category, "validation-set-missing-text-column", _ =>
            Fit(CorpusFixtures.Quick with { ValidationSet = Load(new[] { new IntTextRow { Text = 1 } }) }, Sentiment()), "ValidationSet", "'Text'");
        yield return CorpusCase.Refused(Category, "validation-set-label-string-vs-boolean", _ =>
            Fit(CorpusFixtures.Quick with { ValidationSet = Load(new[] { new StringLabelRow { Text = "good", Label = "True" } }) }, Sentiment()),
            "ValidationSet", "'Label'", "String", "Boolean");
        yield return CorpusCase.Refused(Category, "validation-set-label-double-vs-float", _ =>
            Fit(CorpusFixtures.Quick with { Task = FineTuneTask.Regression, ValidationSet = Load(new[] { new DoubleLabelRow { Text = "good", Label = 1 } }) },
                Load(SyntheticSentiment.Generate(16, 3).Select(r => new FloatLabelRow { Text = r.Text, Label = r.Label ? 1 : 0 }))),
            "ValidationSet", "Double", "Single");
        yield return CorpusCase.Refused(Category, "validation-set-class-unseen-in-training", _ =>
            Fit(CorpusFixtures.Quick with { ValidationSet = Load(new[] { new StringLabelRow { Text = "fine", Label = "pos" }, new StringLabelRow { Text = "meh", Label = "neutral" } }) },
                Load(SyntheticSentiment.Generate(16, 3).Select(r => new StringLabelRow { Text = r.Text, Label = r.Label ? "pos" : "neg" }))),
            "ValidationSet", "row index 1", "neutral");

        // Non-finite labels.
        foreach (var (name, value) in new[] { ("NaN", float.NaN), ("+inf", float.PositiveInfinity), ("-inf", float.NegativeInfinity) })
        {
            yield return CorpusCase.Refused(Category, $"classification-float-label-{name}", _ => Fit(CorpusFixtures.Quick, FloatClasses(value)), "Label", "row index 5", "finite");
            yield return CorpusCase.Refused(Category, $"regression-label-{name}", _ => Fit(CorpusFixtures.Quick with { Task = FineTuneTask.Regression }, FloatClasses(value)),
                "Training data", "row index 5", "Label", "not a finite number");
        }
        yield return CorpusCase.Refused(Category, "regression-validation-label-NaN", _ =>
            Fit(CorpusFixtures.Quick with { Task = FineTuneTask.Regression, ValidationSet = FloatClasses(float.NaN, 8) }, FloatClasses(1f)),
            "ValidationSet", "row index 5", "not a finite number");
        yield return CorpusCase.Accepted(Category, "classification-float-labels-finite", _ =>
        {
            var model = Fit(CorpusFixtures.Quick, FloatClasses(1f));
            CollectionAssert.AreEqual(new[] { "0", "1" }, model.Heads[0].LabelNames.ToArray());
        });

        // Held-out validation rows.
        yield return CorpusCase.Refused(Category, "ValidationFraction-leaves-no-training-rows", _ => Fit(CorpusFixtures.Quick with { ValidationFraction = 0.5 }, Sentiment(1)),
            "ValidationFraction", "leaving none");
        yield return CorpusCase.Refused(Category, "ValidationFraction-0.99-of-10-rows", _ => Fit(CorpusFixtures.Quick with { ValidationFraction = 0.99 }, Sentiment(10)),
            "ValidationFraction 0.99", "10 of the 10");
        yield return CorpusCase.Accepted(Category, "ValidationFraction-0.25-evaluates", _ =>
        {
            var model = Fit(CorpusFixtures.Quick with { ValidationFraction = 0.25 }, Sentiment(32));
            Assert.IsTrue(model.History.Evaluations.Count > 0, "a held-out set was evaluated");
        });

        // Step arithmetic that used to overflow into a run of zero steps.
        yield return CorpusCase.Accepted(Category, "MaxSteps-int-max-trains-until-cancelled", _ =>
        {
            using var cancel = new CancellationTokenSource();
            var options = CorpusFixtures.Quick with { Training = CorpusFixtures.Quick.Training! with { MaxSteps = int.MaxValue }, CancellationToken = cancel.Token };
            options = options with { Progress = new CancelAfter(cancel, 4) };
            var model = Fit(options, Sentiment(32));
            Assert.AreEqual(StopReason.Cancelled, model.History.StopReason);
            Assert.AreEqual(4, model.History.GlobalStep);
        });
        yield return CorpusCase.Refused(Category, "Epochs-int-max-overflows-steps", _ =>
            Fit(CorpusFixtures.Quick with { Training = CorpusFixtures.Quick.Training! with { Epochs = int.MaxValue } }, Sentiment(32)), "TrainingOptions.Epochs", "2147483647");
        yield return CorpusCase.Accepted(Category, "GradientAccumulationSteps-int-max-is-one-step-per-epoch", _ =>
        {
            var model = Fit(CorpusFixtures.Quick with { Training = CorpusFixtures.Quick.Training! with { GradientAccumulationSteps = int.MaxValue } }, Sentiment(32));
            Assert.AreEqual(1, model.History.GlobalStep);
        });

        // Token tagging: one tag per word, and the invalid-tag policy survives a save/load round trip.
        yield return CorpusCase.Refused(Category, "ner-more-tags-than-words", _ => Fit(NerOptions(), Ner([.. NerRows, ("Lima rocks", "B-LOC O O")])),
            "row index 6", "Tags", "3 tags for 2 words");
        yield return CorpusCase.Refused(Category, "ner-fewer-tags-than-words", _ => Fit(NerOptions(), Ner([("Alice met Bob today", "B-PER O"), .. NerRows])),
            "row index 0", "2 tags for 4 words");
        yield return CorpusCase.Refused(Category, "ner-invalid-tags-with-Throw", _ => Fit(NerOptions(InvalidTagHandling.Throw), Ner([.. NerRows, ("Bob left", "I-PER O")])),
            "I-PER");
        yield return CorpusCase.Accepted(Category, "ner-InvalidTags-Throw-survives-save-and-load", _ =>
        {
            var ml = new MLContext(1);
            var data = Ner(NerRows);
            var model = ml.Transforms.FineTune(NerOptions(InvalidTagHandling.Throw)).Fit(data);
            Assert.AreEqual(InvalidTagHandling.Throw, model.Heads[0].InvalidTags);
            var loaded = ModelZip.Reload<FineTuneTransformer>(ml, model, data.Schema);
            Assert.AreEqual(InvalidTagHandling.Throw, loaded.Heads[0].InvalidTags);
        });
    }
}
