using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// One run's own stream of torch random numbers. libtorch draws dropout masks (<c>nn.Dropout</c>, the dropout inside
/// <c>scaled_dot_product_attention</c>), <c>nn.init</c> values and module constructors' initial weights from one
/// process-wide CPU generator, and TorchSharp 0.107's dropout and attention cannot take another generator; so two runs
/// with the same seed at once would interleave their draws and train different models. Every draw of a run happens inside
/// <see cref="Use{T}"/>, which holds one process-wide lock, loads this stream's state into the global generator, and saves
/// it back afterwards (restoring the global generator as it was): each run sees exactly the numbers it would see alone,
/// whatever runs beside it. Only the draws are serialised (a forward pass, a network build), not backward passes or
/// optimizer steps. Code that draws without a stream (a model load, user code) goes through <see cref="Exclusive{T}"/>.
/// </summary>
internal sealed class TorchRandomStream : IDisposable
{
    static readonly Lock GlobalGenerator = new();
    // One wrapper of the default generator for the process: torch.random.get_rng_state() and friends wrap it anew on each
    // call, leaving a finalizable object per call (two per training step here).
    // Created on first use (under the lock), after libtorch is loaded.
    static Generator? global;
    static Generator Global => global ??= Generator.Default;
    Tensor state;

    /// <summary>A stream in the state <c>torch.manual_seed(seed)</c> gives the global generator.</summary>
    public TorchRandomStream(long seed)
    {
        lock (GlobalGenerator)
        {
            using var saved = Global.get_state();
            Global.manual_seed(seed);
            state = Global.get_state().DetachFromDisposeScope();
            Global.set_state(saved);
        }
    }

    /// <summary>Runs <paramref name="draw"/> with this stream as torch's global generator, no other stream drawing meanwhile.</summary>
    public T Use<T>(Func<T> draw)
    {
        lock (GlobalGenerator)
        {
            using var saved = Global.get_state();
            Global.set_state(state);
            try { return draw(); }
            finally
            {
                // Detached: a caller's dispose scope (a training step's) must not free the stream's state.
                var next = Global.get_state().DetachFromDisposeScope();
                state.Dispose();
                state = next;
                Global.set_state(saved);
            }
        }
    }

    /// <inheritdoc cref="Use{T}(Func{T})"/>
    public void Use(Action draw) => Use(() => { draw(); return 0; });

    /// <summary>Runs <paramref name="draw"/> on the global generator as it is, while no stream draws (see the class remarks).</summary>
    public static T Exclusive<T>(Func<T> draw)
    {
        lock (GlobalGenerator) return draw();
    }

    public void Dispose() => state.Dispose();
}
