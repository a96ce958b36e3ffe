using Microsoft.ML;
using MLNet.FineTune.Scoring;

namespace MLNet.FineTune;

/// <summary>
/// Scores single rows from many threads (server apps): a pool of ML.NET PredictionEngines, one rented per call, since
/// a PredictionEngine is not thread-safe (ML.NET's rule). Load the model once, share this object, call
/// <see cref="Predict"/> from any thread. Engines are created on demand and reused, so the pool grows to the number of
/// concurrent callers and no further.
/// <para>
/// The engines never own the model: disposing this predictor leaves a model passed to the constructor usable by
/// <c>Transform</c> and other engines. A model this predictor loaded itself (<see cref="Load"/>) is its own and is
/// disposed with it.
/// </para>
/// </summary>
public sealed class ThreadSafePredictor<TSrc, TDst> : IDisposable where TSrc : class where TDst : class, new()
{
    readonly PredictionEnginePool<TSrc, TDst> pool;
    readonly ITransformer model;
    readonly bool ownsModel;

    public ThreadSafePredictor(MLContext context, ITransformer model) : this(context, model, ownsModel: false) { }

    ThreadSafePredictor(MLContext context, ITransformer model, bool ownsModel)
    {
        pool = new PredictionEnginePool<TSrc, TDst>(context, model);
        this.model = model; this.ownsModel = ownsModel;
    }

    /// <summary>Loads a model zip once (no registration call needed for FineTune models); the predictor owns that model.</summary>
    public static ThreadSafePredictor<TSrc, TDst> Load(MLContext context, string modelZipPath) =>
        new(context, context.Model.Load(modelZipPath, out _), ownsModel: true);

    /// <summary>Engines created so far (at most the peak number of concurrent callers).</summary>
    public int EnginesCreated => pool.EnginesCreated;

    public TDst Predict(TSrc example) => pool.Predict(example, this);

    public void Dispose()
    {
        if (pool.Dispose() && ownsModel) (model as IDisposable)?.Dispose();
    }
}
