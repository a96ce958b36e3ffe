using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Scoring;

namespace MLNet.FineTune.Onnx;

/// <summary>
/// Scores texts with a model exported by <c>FineTuneTransformer.ExportOnnx</c>, through ONNX Runtime: the same input
/// columns and the same output columns (Score, Probability, PredictedLabel, PredictedTags and entity spans) as the
/// FineTune transformer it came from, without TorchSharp or libtorch. <c>Transform</c> scores lazily in batches;
/// <c>CreatePredictionEngine</c> scores one row per call. The model is the .onnx file: this transformer is not saved
/// into an ML.NET zip (ship the .onnx file and load it with <c>mlContext.Model.LoadFineTuneOnnx</c>).
/// </summary>
public sealed class OnnxFineTuneTransformer : ITransformer, IDisposable
{
    readonly OnnxFineTuneModel model;
    readonly OnnxBatchScorer scorer;

    internal OnnxFineTuneTransformer(OnnxFineTuneModel model, int batchSize)
    {
        this.model = model;
        scorer = new OnnxBatchScorer(model, batchSize);
    }

    /// <summary>The text columns read (one, or two for sentence pairs).</summary>
    public IReadOnlyList<string> InputColumnNames => scorer.InputColumnNames;

    /// <summary>The columns added, in order.</summary>
    public IReadOnlyList<string> OutputColumnNames => scorer.OutputColumns.Select(c => c.Name).ToList();

    /// <summary>Class or tag names of each head (by head name), in score order; empty for regression.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> LabelNames => model.Heads.ToDictionary(h => h.Name, h => h.LabelNames);

    bool ITransformer.IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => ScoringSchema.Build(Checked(inputSchema), scorer.OutputColumns);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Checked(input.Schema);
        return new BatchedScoringDataView(input, scorer);
    }

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema) => new ScoringRowMapper(Checked(inputSchema), scorer);

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException(
        "An ONNX-scored FineTune model is its .onnx file: ship that file and load it with mlContext.Model.LoadFineTuneOnnx(path); it is not saved into an ML.NET model zip.");

    DataViewSchema Checked(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        foreach (var name in scorer.InputColumnNames) ScoringInputs.Require(schema, name, TextDataViewType.Instance);
        return schema;
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => model.Dispose();
}

/// <summary>Loads models exported by <c>FineTuneTransformer.ExportOnnx</c>.</summary>
public static class OnnxFineTuneCatalog
{
    /// <summary>
    /// Opens an exported .onnx file (graph, tokenizer, labels and settings are all inside it) as an ML.NET transformer
    /// scored by ONNX Runtime.
    /// </summary>
    /// <param name="catalog"><c>mlContext.Model</c>.</param>
    /// <param name="path">The file written by <c>ExportOnnx</c>.</param>
    /// <param name="batchSize">Rows per ONNX Runtime call when transforming an IDataView. Default 32.</param>
    /// <param name="sessionOptions">ONNX Runtime session options (threads, execution provider); null for the defaults.</param>
    public static OnnxFineTuneTransformer LoadFineTuneOnnx(this ModelOperationsCatalog catalog, string path, int batchSize = 32, SessionOptions? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return new OnnxFineTuneTransformer(OnnxFineTuneModel.Open(path, sessionOptions), batchSize);
    }
}
