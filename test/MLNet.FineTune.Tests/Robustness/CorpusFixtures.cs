using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Tests.FineTune;
using MLNet.FineTune.Tests.Tokenization;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>Valid starting points that corpus cases then damage: a tiny BERT checkpoint folder, tiny training data.</summary>
internal static class CorpusFixtures
{
    /// <summary>
    /// Writes a complete tiny BERT checkpoint (config.json, model.safetensors, vocab.txt, tokenizer_config.json) into
    /// <paramref name="folder"/>; <paramref name="editConfig"/> may change the config JSON before it is written (the
    /// weights always follow <see cref="TinyModels.Bert"/>).
    /// </summary>
    public static string TinyBert(string folder, Action<JsonObject>? editConfig = null)
    {
        Directory.CreateDirectory(folder);
        var config = TinyModels.Bert();
        var json = config.ToJson();
        editConfig?.Invoke(json);
        File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());
        using (var scope = NewDisposeScope())
        {
            var encoder = EncoderFactory.Create(config);
            SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"),
                encoder.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter));
            GC.KeepAlive(encoder); // a collected module's finalizer disposes its parameters, even while they are being written
        }
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), string.Join("\n", TinyTokenizerFolders.BertVocab) + "\n");
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"do_lower_case": true, "tokenizer_class": "BertTokenizer"}""");
        return folder;
    }

    /// <summary>The tiny built-in-model options the estimator tests use, one epoch.</summary>
    public static FineTuneOptions Quick => FineTunePersistenceTests.Quick with
    {
        Training = (FineTunePersistenceTests.Quick.Training ?? new()) with { Epochs = 1 },
    };

    /// <summary>Options fine-tuning the tiny checkpoint in <paramref name="folder"/>.</summary>
    public static FineTuneOptions OnCheckpoint(string folder) => Quick with { BaseModelFolder = folder };

    public static IDataView Sentiment(MLContext ml, int rows = 48, int seed = 3) => ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(rows, seed));

    /// <summary>Fits <paramref name="options"/> on tiny sentiment data and returns the model.</summary>
    public static ITransformer Fit(FineTuneOptions options, int rows = 48)
    {
        var ml = new MLContext(seed: 1);
        return ml.Transforms.FineTune(options).Fit(Sentiment(ml, rows));
    }
}
