using System.Runtime.InteropServices;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// Refuses NaN and ±∞ in loaded weights (checkpoints, adapters, model zips, ONNX imports). A non-finite weight makes
/// every output NaN, silently: training "runs" and scores come out NaN. One pass over the values already in memory.
/// </summary>
internal static class FiniteWeights
{
    // Never inlined into a caller's delegate (LINQ, ML.NET): the error's first stack frame stays ours.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public static void Check(ReadOnlySpan<float> values, string tensor, string file)
    {
        // A float is non-finite exactly when all 8 exponent bits are set.
        var bits = MemoryMarshal.Cast<float, uint>(values);
        for (int i = 0; i < bits.Length; i++)
        {
            if ((bits[i] & 0x7F800000u) != 0x7F800000u) continue;
            throw new CheckpointException($"{file}: tensor '{tensor}' holds a non-finite value ({values[i]} at flat index {i:N0}); " +
                "the weights are corrupt or the training that wrote them diverged. Refusing to load them.");
        }
    }
}
