using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling;

/// <summary>
/// Dropout whose mask comes from a counter-based hash instead of libtorch's <c>bernoulli_</c>, which is a serial
/// per-element generator on the CPU (~13 ns an element: 45 ms of a 230 ms MiniLM forward pass at batch 16,
/// docs/benchmarks.md "Where a MiniLM step goes"). Element i of a call keeps its value when
/// hash(i, key) / 2³² ≥ p and is scaled by 1/(1−p), as <c>torch.nn.functional.dropout</c> does; the key is one draw from
/// libtorch's current generator, so seeding, <see cref="TorchRandomStream"/> and checkpoint resume work as before (the
/// masks differ from libtorch's, the distribution does not). The hash is two rounds of a 32-bit integer finaliser
/// ("lowbias32", C. Wellons) keyed by the draw: vectorised, parallel, and independent of the thread count.
/// Tensors that are not float32 on the CPU fall back to libtorch's dropout.
/// </summary>
internal sealed class VectorizedDropout : nn.Module<Tensor, Tensor>
{
    static readonly Vector<uint> Lanes = new(Enumerable.Range(0, Vector<uint>.Count).Select(l => (uint)l).ToArray());

    readonly double p;

    /// <summary>
    /// Whether masks come from the hash (the default) or from libtorch's dropout (MLNET_FINETUNE_HASH_DROPOUT=0, for
    /// comparisons). On by default since its accuracy was measured against libtorch's masks and Hugging Face's Trainer on
    /// SST-2 (4 seeds) and CoNLL-2003 (2 seeds): no difference beyond seed noise (docs/benchmarks.md, issue #17).
    /// </summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("MLNET_FINETUNE_HASH_DROPOUT") != "0";

    /// <summary>A dropout module with drop probability <paramref name="probability"/> (identity in eval mode or when 0).</summary>
    public VectorizedDropout(double probability) : base("Dropout")
    {
        if (!(probability >= 0 && probability < 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "Dropout probability must be in [0, 1).");
        p = probability;
    }

    public override Tensor forward(Tensor input) => training ? Apply(input, p) : input;

    /// <summary>Training-mode dropout of <paramref name="input"/> (differentiable: the mask multiplies the input).</summary>
    public static Tensor Apply(Tensor input, double probability)
    {
        if (probability == 0) return input;
        if (!Enabled || input.device_type != DeviceType.CPU || input.dtype != ScalarType.Float32)
            return nn.functional.dropout(input, probability, training: true);
        using var scope = NewDisposeScope();
        var mask = empty_like(input);
        Fill(mask, probability);
        return input.mul(mask).MoveToOuterDisposeScope();
    }

    /// <summary>Fills a dense float32 CPU tensor with a mask: 0 (dropped) or 1/(1−p) (kept).</summary>
    public static void Fill(Tensor mask, double probability)
    {
        // One 62-bit draw from libtorch's generator keys the hash (ItemInt64: item<T>() would leave a finalizable accessor per call).
        long draw;
        using (var keyDraw = randint(0, 1L << 62, [1], dtype: ScalarType.Int64)) draw = keyDraw.ItemInt64();
        var key = new Key((uint)draw, (uint)(draw >> 31), Threshold(probability), (float)(1.0 / (1.0 - probability)));
        long n = mask.numel();
        nint data = TensorMemory.DataPointer(mask);
        TensorMemory.ForEachChunk(n, (start, end) => Fill(data, start, end, key));
    }

    /// <summary>Hash values below this are dropped: p·2³² (rounded), so that P(drop) = p within 2⁻³².</summary>
    static uint Threshold(double probability) => (uint)Math.Min(uint.MaxValue, Math.Round(probability * 4294967296.0));

    readonly record struct Key(uint First, uint Second, uint Threshold, float Scale);

    /// <summary>Chris Wellons' "lowbias32" integer finaliser (bias 0.17): a bijection of 32-bit values.</summary>
    static uint Mix(uint x)
    {
        x ^= x >> 16; x *= 0x7feb352d;
        x ^= x >> 15; x *= 0x846ca68b;
        x ^= x >> 16;
        return x;
    }

    static Vector<uint> Mix(Vector<uint> x)
    {
        x ^= Vector.ShiftRightLogical(x, 16); x *= new Vector<uint>(0x7feb352d);
        x ^= Vector.ShiftRightLogical(x, 15); x *= new Vector<uint>(0x846ca68b);
        x ^= Vector.ShiftRightLogical(x, 16);
        return x;
    }

    /// <summary>The value of element <paramref name="index"/> of a mask with <paramref name="key"/> (the scalar definition).</summary>
    static float Value(uint index, in Key key) => Mix(Mix(index + key.First) ^ key.Second) >= key.Threshold ? key.Scale : 0f;

    static unsafe void Fill(nint data, long start, long end, Key key)
    {
        float* mask = (float*)data;
        long i = start;
        int width = Vector<uint>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var first = new Vector<uint>(key.First);
            var second = new Vector<uint>(key.Second);
            var threshold = new Vector<uint>(key.Threshold);
            var scale = Vector.AsVectorUInt32(new Vector<float>(key.Scale));
            for (; i + width <= end; i += width)
            {
                var h = Mix(Mix(new Vector<uint>((uint)i) + Lanes + first) ^ second);
                Vector.Store(Vector.AsVectorSingle(Vector.GreaterThanOrEqual(h, threshold) & scale), mask + i);
            }
        }
        for (; i < end; i++) mask[i] = Value((uint)i, key);
    }
}
