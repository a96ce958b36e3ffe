using System.Collections.Concurrent;
using Microsoft.ML;

namespace MLNet.FineTune;

/// <summary>
/// Scores single rows from many threads (server apps): a pool of ML.NET PredictionEngines, one rented per call, since
/// a PredictionEngine is not thread-safe (ML.NET's rule). Load the model once, share this object, call
/// <see cref="Predict"/> from any thread. Engines are created on demand and reused, so the pool grows to the number of
/// concurrent callers and no further.
/// </summary>
public sealed class ThreadSafePredictor<TSrc, TDst> : IDisposable where TSrc : class where TDst : class, new()
{
    readonly MLContext context;
    readonly ITransformer model;
    readonly ConcurrentBag<PredictionEngine<TSrc, TDst>> idle = new();
    int created;

    public ThreadSafePredictor(MLContext context, ITransformer model) { this.context = context; this.model = model; }

    /// <summary>Loads a model zip once (no registration call needed for FineTune models).</summary>
    public static ThreadSafePredictor<TSrc, TDst> Load(MLContext context, string modelZipPath) => new(context, context.Model.Load(modelZipPath, out _));

    /// <summary>Engines created so far (at most the peak number of concurrent callers).</summary>
    public int EnginesCreated => created;

    public TDst Predict(TSrc example)
    {
        if (!idle.TryTake(out var engine))
        {
            engine = context.Model.CreatePredictionEngine<TSrc, TDst>(model);
            Interlocked.Increment(ref created);
        }
        try { return engine.Predict(example); }
        finally { idle.Add(engine); }
    }

    public void Dispose()
    {
        while (idle.TryTake(out var engine)) engine.Dispose();
    }
}
