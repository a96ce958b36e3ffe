using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Scoring;

namespace MLNet.FineTune.Onnx;

/// <summary>
/// Scores single rows of an exported model from many threads (web servers): load the .onnx file once, share this
/// object, call <see cref="Predict"/> from any thread. ML.NET's PredictionEngine is not thread-safe, so this keeps a pool
/// of them over one <see cref="OnnxFineTuneTransformer"/> (one ONNX Runtime session, whose <c>Run</c> is thread-safe),
/// one engine rented per call; the pool grows to the number of concurrent callers and no further. The same mechanism
/// as MLNet.FineTune's <c>ThreadSafePredictor</c>, without TorchSharp.
/// </summary>
/// <typeparam name="TSrc">Input class: a string property per input column (e.g. <c>Text</c>).</typeparam>
/// <typeparam name="TDst">Output class: properties named after the output columns wanted (e.g. <c>PredictedLabel</c>, <c>Probability</c>).</typeparam>
public sealed class OnnxThreadSafePredictor<TSrc, TDst> : IDisposable where TSrc : class where TDst : class, new()
{
    readonly PredictionEnginePool<TSrc, TDst> pool;
    readonly OnnxFineTuneTransformer model;
    readonly bool ownsModel;

    /// <summary>Over a model loaded by <c>mlContext.Model.LoadFineTuneOnnx</c>; disposing this predictor leaves the model open.</summary>
    public OnnxThreadSafePredictor(MLContext context, OnnxFineTuneTransformer model) : this(context, model, ownsModel: false) { }

    OnnxThreadSafePredictor(MLContext context, OnnxFineTuneTransformer model, bool ownsModel)
    {
        pool = new PredictionEnginePool<TSrc, TDst>(context, model);
        this.model = model; this.ownsModel = ownsModel;
    }

    /// <summary>Opens an exported .onnx file once; the predictor owns that model (its session is closed with it).</summary>
    /// <param name="context">The ML.NET context.</param>
    /// <param name="onnxPath">The file written by <c>ExportOnnx</c>.</param>
    /// <param name="sessionOptions">ONNX Runtime session options (threads, execution provider); null for the defaults.</param>
    public static OnnxThreadSafePredictor<TSrc, TDst> Load(MLContext context, string onnxPath, SessionOptions? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new(context, context.Model.LoadFineTuneOnnx(onnxPath, batchSize: 1, sessionOptions), ownsModel: true);
    }

    /// <summary>The model scored.</summary>
    public OnnxFineTuneTransformer Model => model;

    /// <summary>Engines created so far (at most the peak number of concurrent callers).</summary>
    public int EnginesCreated => pool.EnginesCreated;

    /// <summary>Scores one row. Thread-safe.</summary>
    public TDst Predict(TSrc example) => pool.Predict(example, this);

    /// <summary>Disposes the pooled engines, and the model when <see cref="Load"/> opened it.</summary>
    public void Dispose()
    {
        if (pool.Dispose() && ownsModel) model.Dispose();
    }
}
