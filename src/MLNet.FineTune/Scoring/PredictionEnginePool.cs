using System.Collections.Concurrent;
using Microsoft.ML;

namespace MLNet.FineTune.Scoring;

/// <summary>
/// Pooled ML.NET PredictionEngines over one shared model, one rented per call (a PredictionEngine is not thread-safe:
/// ML.NET's rule). Engines are created on demand and reused, so the pool grows to the number of concurrent callers and
/// no further. The engines never own the model. Shared by <c>ThreadSafePredictor</c> (TorchSharp models) and
/// MLNet.FineTune.Onnx's <c>OnnxThreadSafePredictor</c> (compiled into both).
/// </summary>
internal sealed class PredictionEnginePool<TSrc, TDst> : IDisposable where TSrc : class where TDst : class, new()
{
    readonly MLContext context;
    readonly ITransformer model;
    readonly ConcurrentBag<PredictionEngine<TSrc, TDst>> idle = new();
    int created;
    volatile bool disposed;

    public PredictionEnginePool(MLContext context, ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(model);
        this.context = context; this.model = model;
    }

    public int EnginesCreated => created;

    public TDst Predict(TSrc example, object owner)
    {
        ObjectDisposedException.ThrowIf(disposed, owner);
        if (!idle.TryTake(out var engine))
        {
            // ML.NET engines dispose their transformer by default; this one is shared by every engine in the pool.
            engine = context.Model.CreatePredictionEngine<TSrc, TDst>(model, new PredictionEngineOptions { OwnsTransformer = false });
            Interlocked.Increment(ref created);
        }
        try { return engine.Predict(example); }
        finally
        {
            idle.Add(engine);
            if (disposed) DisposeIdleEngines(); // returned after Dispose: don't leave it in the pool
        }
    }

    /// <returns>False when already disposed.</returns>
    public bool Dispose()
    {
        if (disposed) return false;
        disposed = true;
        DisposeIdleEngines();
        return true;
    }

    void IDisposable.Dispose() => Dispose();

    void DisposeIdleEngines()
    {
        while (idle.TryTake(out var engine)) engine.Dispose();
    }
}
