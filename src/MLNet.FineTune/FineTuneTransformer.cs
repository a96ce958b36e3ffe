using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;

[assembly: ZipPersistedTransformer(typeof(MLNet.FineTune.FineTuneTransformer), PayloadVersion = 1, OldestReadablePayloadVersion = 1)]

namespace MLNet.FineTune;

/// <summary>
/// A fitted FineTune model: adds each head's output columns (Score, PredictedLabel, Probability…) to the data it
/// transforms. Rows are scored in batches of <see cref="FineTuneOptions.ScoringBatchSize"/> through the encoder;
/// <c>CreatePredictionEngine</c> scores one row per call (one engine per thread, as ML.NET prescribes).
/// Saved by <c>mlContext.Model.Save</c> into one zip with its tokenizer, config, weights, heads and model card.
/// </summary>
public sealed partial class FineTuneTransformer : ZipPersistedTransformer, IZipPersistedLoadable<FineTuneTransformer>, IDisposable
{
    readonly FineTuneScorer scorer;

    internal FineTuneTransformer(IHostEnvironment env, ModelPackage package, TaskNetwork network, ScoringSettings settings,
        TrainingHistory history, ModelCard card) : base(env, "FineTune")
    {
        Package = package; Network = network; Settings = settings; History = history; Card = card;
        network.eval();
        scorer = new FineTuneScorer(network, package.Tokenizer, settings.InputColumns, settings.OutputColumnPrefix, settings.MaxSequenceLength,
            settings.Truncation, settings.ScoringBatchSize, maxLengthMayShrink: true, model: package.NameInMessages);
    }

    internal ModelPackage Package { get; }
    internal TaskNetwork Network { get; }
    internal ScoringSettings Settings { get; }
    public IReadOnlyList<string> InputColumnNames => Settings.InputColumns;
    /// <summary>What each fitted head is (kind, name, label column, class names in score order), in output order.</summary>
    public IReadOnlyList<HeadDescription> Heads => Network.Tasks.Select(t => t.Describe()).ToList();
    /// <summary>Losses, learning rates and evaluation metrics recorded during training (empty for a loaded model).</summary>
    public TrainingHistory History { get; }
    /// <summary>What this model is and how it was trained (also saved in the model zip).</summary>
    public ModelCard Card { get; }
    internal IBatchScorer Scorer => scorer;

    private protected override IBatchScorer CreateScorer(DataViewSchema inputSchema)
    {
        foreach (var name in InputColumnNames) DataViewColumns.RequireText(inputSchema, name, "Text");
        return scorer;
    }

    /// <summary>
    /// Writes a LoRA adapter and its head in Hugging Face PEFT's format (adapter_config.json, adapter_model.safetensors),
    /// recording the base checkpoint's identity. With <see cref="Peft.PeftOptions.AdapterPerTask"/> name the task (head name)
    /// whose adapter to write; otherwise the name may be left out (the model's adapter).
    /// </summary>
    /// <param name="folder">Created if missing.</param>
    /// <param name="adapterName">Adapter to write: a task name with per-task adapters; default the active adapter.</param>
    public void SaveLoraAdapter(string folder, string? adapterName = null)
    {
        var peft = Network.Peft ?? throw new InvalidOperationException("This model has no PEFT method.");
        if (peft.TaskAdapters is { } tasks && (adapterName is null || !tasks.Contains(adapterName)))
            throw new ArgumentException($"This model has one LoRA adapter per task; name one of: {string.Join(", ", tasks)} (got {adapterName ?? "null"}).", nameof(adapterName));
        var identity = Package.BaseWeightsSha256 is { } sha ? new Peft.BaseModelIdentity(Package.BaseName, sha) : null;
        Peft.LoraAdapterFile.Save(folder, peft, identity, adapterName);
    }

    /// <summary>
    /// Does not free the network: ML.NET calls this from every <c>PredictionEngine.Dispose</c> (engines own their
    /// transformer by default, and a <c>TransformerChain</c> passes the call on), while the same loaded model is still
    /// shared by <c>Transform</c> and by other engines. A model is never owned by what scores with it, so its native
    /// (libtorch) memory is released when the model itself is garbage-collected.
    /// </summary>
    public void Dispose() { }
}

/// <summary>How a fitted model reads its inputs and names its outputs; saved with the model.</summary>
internal sealed record ScoringSettings(IReadOnlyList<string> InputColumns, string OutputColumnPrefix, int MaxSequenceLength,
    TruncationStrategy Truncation, int ScoringBatchSize, Peft.PeftOptions Peft, ModelWeights WeightsInZip = ModelWeights.Full);
