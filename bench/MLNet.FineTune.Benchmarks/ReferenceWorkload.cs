using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// The workload of /work/shared/bench/pytorch-reference/bench.py, so our figures sit beside PyTorch's: a bert-mini-sized
/// encoder (vocab 30522, hidden 256, 4 layers, 4 heads, FFN 1024, 512 positions, dropout 0.1), batch 32 x 128.
/// </summary>
internal static class ReferenceWorkload
{
    public const int Batch = 32, SequenceLength = 128, Classes = 2;
    public const double LearningRate = 2e-5, WeightDecay = 0.01;

    public static TransformerConfig Config { get; } = new()
    {
        VocabSize = 30522, HiddenSize = 256, NumLayers = 4, NumHeads = 4, IntermediateSize = 1024, MaxPositionEmbeddings = 512,
    };

    /// <summary>Random ids, zero token types, and bench.py's mask: the second half of the rows pads its last quarter.</summary>
    public static (EncoderInput Input, Tensor Labels) MakeBatch(int batch, int sequenceLength)
    {
        var ids = randint(0, Config.VocabSize, new long[] { batch, sequenceLength }, dtype: ScalarType.Int64);
        var types = zeros(batch, sequenceLength, ScalarType.Int64);
        var mask = ones(batch, sequenceLength, ScalarType.Int64);
        mask[TensorIndex.Slice(batch / 2), TensorIndex.Slice(sequenceLength - sequenceLength / 4)] = 0;
        var labels = randint(0, Classes, new long[] { batch }, dtype: ScalarType.Int64);
        return (new EncoderInput(mask, ids, types), labels);
    }
}
