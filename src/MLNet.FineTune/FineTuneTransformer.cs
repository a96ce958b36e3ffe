using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Engine;
using MLNet.FineTune.Heads;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Training;

namespace MLNet.FineTune;

/// <summary>
/// A fitted FineTune model: adds each head's output columns (Score, PredictedLabel, Probability…) to the data it
/// transforms. Rows are scored in batches of <see cref="FineTuneOptions.ScoringBatchSize"/> through the encoder;
/// <c>CreatePredictionEngine</c> scores one row per call (one engine per thread, as ML.NET prescribes).
/// </summary>
public sealed partial class FineTuneTransformer : ITransformer, IDisposable
{
    readonly MLContext context;
    readonly FineTuneScorer scorer;

    internal FineTuneTransformer(MLContext context, ModelPackage package, TaskNetwork network, IReadOnlyList<string> inputColumns,
        FineTuneOptions options, TrainingHistory history, ModelCard card)
    {
        this.context = context;
        Package = package; Network = network; InputColumnNames = inputColumns; History = history; Card = card;
        MaxSequenceLength = options.MaxSequenceLength; Truncation = options.Truncation; ScoringBatchSize = options.ScoringBatchSize;
        OutputColumnPrefix = options.OutputColumnPrefix;
        network.eval();
        scorer = new FineTuneScorer(network, package.Tokenizer, inputColumns, options.OutputColumnPrefix, options.MaxSequenceLength, options.Truncation, options.ScoringBatchSize);
    }

    internal ModelPackage Package { get; }
    internal TaskNetwork Network { get; }
    public IReadOnlyList<string> InputColumnNames { get; }
    public IReadOnlyList<ITaskHead> Heads => Network.Tasks;
    /// <summary>Losses, learning rates and evaluation metrics recorded during training (empty for a loaded model).</summary>
    public TrainingHistory History { get; }
    /// <summary>What this model is and how it was trained (also saved in the model zip).</summary>
    public ModelCard Card { get; }
    internal int MaxSequenceLength { get; }
    internal Tokenization.TruncationStrategy Truncation { get; }
    internal int ScoringBatchSize { get; }
    internal string OutputColumnPrefix { get; }
    internal IBatchScorer Scorer => scorer;

    public bool IsRowToRowMapper => true;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ValidateInput(inputSchema);
        return ScoringSchema.Build(inputSchema, scorer.OutputColumns);
    }

    public IDataView Transform(IDataView input)
    {
        ValidateInput(input.Schema);
        return new BatchedScoringDataView(input, scorer);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ValidateInput(inputSchema);
        return new ScoringRowMapper(inputSchema, scorer);
    }

    void ValidateInput(DataViewSchema schema)
    {
        foreach (var name in InputColumnNames) DataViewColumns.RequireText(schema, name, "Text");
    }

    public void Dispose() => Network.Dispose();
}
