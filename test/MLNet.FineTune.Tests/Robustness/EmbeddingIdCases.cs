using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Tokenization;
using MLNet.FineTune.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 2: ids beyond the embedding tables. A tokenizer and a model meet with a longer MaxSequenceLength than
/// the model has positions, ids past vocab_size, token types past type_vocab_size, DoNotTruncate on long texts: each is
/// fitted (defaults shortened, types merged) or refused naming both numbers, never indexed out of range in libtorch.
/// </summary>
internal sealed class EmbeddingIdCases : ICorpusSource
{
    /// <summary>A text of about 150 word-piece tokens: longer than every tiny model's 64 positions.</summary>
    static readonly string LongText = string.Join(" ", Enumerable.Repeat("hello world , a b c !", 25));

    public IEnumerable<CorpusCase> Cases()
    {
        // MaxSequenceLength against max_position_embeddings (BERT 64 positions; RoBERTa 64 less its offset 2).
        yield return CorpusCase.Accepted("ids", "default-max-length-128-on-64-position-bert-is-shortened", folder =>
        {
            IdFixtures.Bert(folder);
            var log = new List<string>();
            var model = IdFixtures.FitDefaultLength(folder, withLongText: true, log: log);
            Assert.AreEqual(64, model.Settings.MaxSequenceLength);
            Assert.IsTrue(log.Any(m => m.Contains("MaxSequenceLength 128 (the default)") && m.Contains("64 positions")), string.Join("\n", log));
            IdFixtures.AssertScoresLongText(model);
            IdFixtures.AssertScoresLongText(IdFixtures.Reload(model));
        });
        yield return CorpusCase.Refused("ids", "explicit-max-length-128-on-64-position-bert",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { MaxSequenceLength = 128 }),
            "MaxSequenceLength 128", "64 positions", "max_position_embeddings 64");
        yield return CorpusCase.Refused("ids", "explicit-max-length-one-past-the-positions",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { MaxSequenceLength = 65 }),
            "MaxSequenceLength 65", "64 positions");
        yield return CorpusCase.Accepted("ids", "explicit-max-length-equal-to-the-positions", folder =>
        {
            var model = (FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { MaxSequenceLength = 64 });
            IdFixtures.AssertScoresLongText(model);
        });
        yield return CorpusCase.Refused("ids", "explicit-max-length-64-on-roberta-with-64-positions",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Roberta(folder)) with { MaxSequenceLength = 64 }),
            "MaxSequenceLength 64", "62 positions", "pad_token_id");
        yield return CorpusCase.Accepted("ids", "explicit-max-length-62-on-roberta-fits-its-offset-positions", folder =>
        {
            var model = (FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Roberta(folder)) with { MaxSequenceLength = 62 });
            IdFixtures.AssertScoresLongText(model, "ab c ab c ");
        });
        yield return CorpusCase.Accepted("ids", "default-max-length-on-roberta-is-shortened-to-62", folder =>
        {
            IdFixtures.Roberta(folder);
            var model = IdFixtures.FitDefaultLength(folder, withLongText: true, longText: string.Concat(Enumerable.Repeat("ab c ", 100)));
            Assert.AreEqual(62, model.Settings.MaxSequenceLength);
            IdFixtures.AssertScoresLongText(IdFixtures.Reload(model), "ab c ab c ");
        });
        yield return CorpusCase.Accepted("ids", "default-max-length-on-built-in-model-with-32-positions", folder =>
        {
            var options = new FineTuneOptions { BuiltInModel = CorpusFixtures.Quick.BuiltInModel with { MaxPositions = 32 }, Training = CorpusFixtures.Quick.Training };
            var model = IdFixtures.Fit(options, withLongText: true);
            Assert.AreEqual(32, model.Settings.MaxSequenceLength);
            IdFixtures.AssertScoresLongText(model);
        });
        yield return CorpusCase.Refused("ids", "explicit-max-length-100-on-built-in-model-with-64-positions",
            _ => CorpusFixtures.Fit(CorpusFixtures.Quick with { MaxSequenceLength = 100 }),
            "MaxSequenceLength 100", "64 positions", "built-in");
        yield return CorpusCase.Refused("ids", "positions-too-few-for-the-special-tokens",
            folder => IdFixtures.FitDefaultLength(IdFixtures.Roberta(folder, c => c["max_position_embeddings"] = 4), withLongText: false),
            "2 positions", "max_position_embeddings 4");

        // Prompt tuning's virtual tokens take positions too.
        yield return CorpusCase.Accepted("ids", "prompt-tuning-20-virtual-tokens-shortens-the-default-length", folder =>
        {
            IdFixtures.Bert(folder);
            var model = IdFixtures.FitDefaultLength(folder, withLongText: true, peft: new PeftOptions { Method = PeftMethod.PromptTuning });
            Assert.AreEqual(44, model.Settings.MaxSequenceLength);
            IdFixtures.AssertScoresLongText(model);
        });
        yield return CorpusCase.Refused("ids", "prompt-tuning-with-explicit-length-of-all-positions",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with
            {
                MaxSequenceLength = 64, Peft = new PeftOptions { Method = PeftMethod.PromptTuning },
            }), "MaxSequenceLength 64", "44 positions", "20 prompt-tuning virtual tokens");
        yield return CorpusCase.Refused("ids", "prompt-tuning-init-token-id-past-the-vocabulary",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with
            {
                Peft = new PeftOptions { Method = PeftMethod.PromptTuning, PromptTuning = new() { NumVirtualTokens = 4, InitTokenIds = [2, 5, 99] } },
            }), "InitTokenIds", "99", "vocab_size 99");

        // Token ids against vocab_size.
        yield return CorpusCase.Refused("ids", "vocab-txt-larger-than-config-vocab-size",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder, c => c["vocab_size"] = 10))),
            "18", "vocab_size 10");
        yield return CorpusCase.Refused("ids", "added-token-id-past-vocab-size",
            folder =>
            {
                IdFixtures.Bert(folder);
                File.WriteAllText(Path.Combine(folder, "added_tokens.json"), """{"<new>": 150}""");
                CorpusFixtures.Fit(IdFixtures.Options(folder));
            }, "150", "<new>", "vocab_size 99");
        yield return CorpusCase.Refused("ids", "pad-token-is-an-added-token-past-vocab-size",
            folder =>
            {
                IdFixtures.Bert(folder);
                File.WriteAllText(Path.Combine(folder, "added_tokens.json"), """{"<pad2>": 120}""");
                File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "pad_token": "<pad2>", "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]"}""");
                CorpusFixtures.Fit(IdFixtures.Options(folder));
            }, "120", "vocab_size 99");
        yield return CorpusCase.Accepted("ids", "added-token-on-the-last-embedding-row", folder =>
        {
            IdFixtures.Bert(folder);
            File.WriteAllText(Path.Combine(folder, "added_tokens.json"), """{"<new>": 98}""");
            var model = (FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(folder));
            IdFixtures.AssertScoresLongText(model, "hello <new> world <new> ");
        });
        yield return CorpusCase.Accepted("ids", "roberta-bpe-tokenizer-on-vocab-exactly-its-size", folder =>
        {
            IdFixtures.Roberta(folder, c => c["vocab_size"] = 13);
            IdFixtures.AssertScoresLongText((FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(folder)), "ab c <mask> ");
        });
        yield return CorpusCase.Refused("ids", "roberta-bpe-tokenizer-one-id-past-vocab-size",
            folder => CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Roberta(folder, c => c["vocab_size"] = 12))),
            "12 ('<mask>')", "vocab_size 12");

        // Token types against type_vocab_size: pairs on models with one type (or none) are scored with type 0.
        foreach (var (name, make) in new (string, Func<string, string>)[]
        {
            ("bert-tokenizer-pairs-on-type-vocab-size-1", f => IdFixtures.Bert(f, c => c["type_vocab_size"] = 1)),
            ("roberta-pairs-on-type-vocab-size-1", f => IdFixtures.Roberta(f)),
            ("distilbert-pairs-without-token-types", f => IdFixtures.Bert(f, null, TinyModels.DistilBert())),
        })
            yield return CorpusCase.Accepted("ids", name, folder =>
            {
                var model = IdFixtures.FitPairs(IdFixtures.Options(make(folder)) with { SecondTextColumnName = "Second" });
                var scores = IdFixtures.ScorePairs(model, [("hello world", LongText), ("ab c", "a b"), ("", "")]);
                Assert.IsTrue(scores.All(float.IsFinite));
            });

        // DoNotTruncate: a text longer than the positions is refused naming the row, in training and in scoring.
        yield return CorpusCase.Refused("ids", "do-not-truncate-with-a-long-training-text",
            folder => IdFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { Truncation = TruncationStrategy.DoNotTruncate }, withLongText: true),
            "Row", "64 positions", "DoNotTruncate");
        yield return CorpusCase.Refused("ids", "do-not-truncate-scoring-a-long-text",
            folder =>
            {
                var model = (FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { Truncation = TruncationStrategy.DoNotTruncate });
                IdFixtures.AssertScoresLongText(model);
            }, "tokens", "64 positions", "DoNotTruncate");
        yield return CorpusCase.Refused("ids", "do-not-truncate-prediction-engine-on-a-long-text",
            folder =>
            {
                var model = (FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { Truncation = TruncationStrategy.DoNotTruncate });
                using var engine = new MLContext(1).Model.CreatePredictionEngine<Samples.SentimentRow, Production.Scored>(model);
                engine.Predict(new Samples.SentimentRow { Text = LongText });
            }, "tokens", "64 positions");
        yield return CorpusCase.Accepted("ids", "do-not-truncate-with-texts-that-fit", folder =>
        {
            var model = (FineTuneTransformer)CorpusFixtures.Fit(IdFixtures.Options(IdFixtures.Bert(folder)) with { Truncation = TruncationStrategy.DoNotTruncate });
            IdFixtures.AssertScores(IdFixtures.Reload(model), "hello world hello world , a b c !");
        });
    }
}

/// <summary>Tiny checkpoints whose config, weights and tokenizer agree unless a case edits the config.</summary>
internal static class IdFixtures
{
    sealed class PairRow { public string Text { get; set; } = ""; public string Second { get; set; } = ""; public bool Label { get; set; } }

    /// <summary>A BERT (or <paramref name="baseConfig"/>) checkpoint with the tiny WordPiece tokenizer; weights follow the edited config.</summary>
    public static string Bert(string folder, Action<JsonObject>? edit = null, TransformerConfig? baseConfig = null)
    {
        Write(folder, baseConfig ?? TinyModels.Bert(), edit);
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), string.Join("\n", TinyTokenizerFolders.BertVocab) + "\n");
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"do_lower_case": true, "tokenizer_class": "BertTokenizer"}""");
        return folder;
    }

    /// <summary>A RoBERTa checkpoint (64 positions, pad 1, one token type) with the tiny byte-level BPE tokenizer.</summary>
    public static string Roberta(string folder, Action<JsonObject>? edit = null)
    {
        Write(folder, TinyModels.Bert("roberta"), edit);
        using var tokenizer = TinyTokenizerFolders.ByteLevelBpe();
        foreach (var file in Directory.GetFiles(tokenizer.Path)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    static void Write(string folder, TransformerConfig config, Action<JsonObject>? edit)
    {
        var json = config.ToJson();
        edit?.Invoke(json);
        File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());
        var edited = TransformerConfig.FromJson(json);
        using var scope = NewDisposeScope();
        var encoder = EncoderFactory.Create(edited);
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"),
            encoder.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter));
        GC.KeepAlive(encoder); // a collected module's finalizer disposes its parameters, even while they are being written
    }

    public static FineTuneOptions Options(string folder) => CorpusFixtures.OnCheckpoint(folder);

    /// <summary>Options on <paramref name="folder"/> that leave MaxSequenceLength at its default.</summary>
    public static FineTuneTransformer FitDefaultLength(string folder, bool withLongText, PeftOptions? peft = null, string? longText = null, List<string>? log = null) =>
        Fit(new FineTuneOptions { BaseModelFolder = folder, Training = CorpusFixtures.Quick.Training, Peft = peft ?? new() }, withLongText, longText, log);

    /// <summary>Fits on tiny sentiment rows, one of them long when <paramref name="withLongText"/>.</summary>
    /// <param name="log">When given, collects the MLContext log's messages.</param>
    public static FineTuneTransformer Fit(FineTuneOptions options, bool withLongText, string? longText = null, List<string>? log = null)
    {
        var ml = new MLContext(seed: 1);
        if (log != null) ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var rows = Samples.SyntheticSentiment.Generate(24, seed: 3);
        if (withLongText) rows[0].Text = longText ?? string.Join(" ", Enumerable.Repeat("hello world , a b c !", 25));
        return ml.Transforms.FineTune(options).Fit(ml.Data.LoadFromEnumerable(rows));
    }

    /// <summary>Scores a long text (repeated <paramref name="unit"/>) by Transform and by a PredictionEngine: finite, and the same both ways.</summary>
    public static void AssertScoresLongText(FineTuneTransformer model, string unit = "hello world , a b c ! ") =>
        AssertScores(model, string.Concat(Enumerable.Repeat(unit, 800 / unit.Length + 1)));

    public static void AssertScores(FineTuneTransformer model, string text) => UnicodeScoring.AssertScores(model, [text, "a"]);

    public static FineTuneTransformer Reload(FineTuneTransformer model)
    {
        var ml = new MLContext(1);
        return Persistence.ModelZip.Reload<FineTuneTransformer>(ml, model, ml.Data.LoadFromEnumerable(new[] { new Samples.SentimentRow() }).Schema);
    }

    public static FineTuneTransformer FitPairs(FineTuneOptions options)
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 24).Select(i => new PairRow { Text = i % 2 == 0 ? "hello world" : "a b c", Second = i % 3 == 0 ? "ab c" : "d e", Label = i % 2 == 0 }).ToArray();
        return ml.Transforms.FineTune(options).Fit(ml.Data.LoadFromEnumerable(rows));
    }

    public static float[] ScorePairs(FineTuneTransformer model, (string Text, string Second)[] pairs)
    {
        var ml = new MLContext(1);
        var rows = pairs.Select(p => new PairRow { Text = p.Text, Second = p.Second }).ToArray();
        return model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float>("Score").ToArray();
    }
}
