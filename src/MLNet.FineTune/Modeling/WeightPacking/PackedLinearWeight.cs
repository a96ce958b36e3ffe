using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.WeightPacking;

/// <summary>
/// One <see cref="Linear"/> weight in MKL's packed layout, with what it was packed from: the weight's address and a
/// sample of its values. <see cref="Matches"/> compares both before every use, so a weight changed since (an optimizer
/// step, a LoRA merge or unmerge, a checkpoint load, a freed and reused buffer) is packed again instead of scoring with
/// stale numbers. The sample is 256 values spread over the whole matrix: every such change moves (nearly) all of a
/// weight, and reading 256 floats costs well under a microsecond.
/// </summary>
internal sealed unsafe class PackedLinearWeight
{
    /// <summary>MKL chooses its packed layout for a row count; one made for 16 rows serves every row count up to
    /// <see cref="PackedWeightScoring.MaxRows"/> with the same results and at the per-count packs' speed (bench small-gemm).</summary>
    const int PackRows = 16;
    const int SampleSize = 256;

    readonly nint buffer;
    readonly nint source;
    readonly float[] sample;

    public int OutFeatures { get; }
    public int InFeatures { get; }

    /// <summary>The packed weight's own size (what the pack roughly adds to the process's memory).</summary>
    public long Bytes { get; }

    PackedLinearWeight(Tensor weight)
    {
        OutFeatures = (int)weight.size(0); InFeatures = (int)weight.size(1);
        source = TensorMemory.DataPointer(weight);
        sample = Sample((float*)source, weight.numel());
        buffer = Marshal.AllocHGlobal((nint)MklPackedGemm.PackedSize(PackRows, OutFeatures, InFeatures));
        // MKL asks for ~8 MB more than the weight per pack but writes about the weight's size; reporting the reserve would
        // make the GC collect for memory that is never touched.
        Bytes = WeightBytes(weight);
        GC.AddMemoryPressure(Bytes);
        MklPackedGemm.PackTransposedWeight((float*)source, PackRows, OutFeatures, InFeatures, (void*)buffer);
    }

    ~PackedLinearWeight()
    {
        Marshal.FreeHGlobal(buffer);
        GC.RemoveMemoryPressure(Bytes);
    }

    /// <summary>Whether <paramref name="weight"/> can be packed: a contiguous 2-D float32 CPU tensor whose sizes fit MKL's 32-bit ints.</summary>
    public static bool CanPack(Tensor weight) =>
        weight.dim() == 2 && weight.dtype == ScalarType.Float32 && weight.device_type == DeviceType.CPU && weight.is_contiguous()
        && weight.size(0) is > 0 and <= int.MaxValue && weight.size(1) is > 0 and <= int.MaxValue;

    public static PackedLinearWeight Pack(Tensor weight) => new(weight);

    /// <summary>The weight's own size, which a pack of it roughly adds to the process's memory.</summary>
    public static long WeightBytes(Tensor weight) => 4L * weight.numel();

    /// <summary>Whether this pack still holds <paramref name="weight"/>'s current values (same buffer, same sample).</summary>
    public bool Matches(Tensor weight)
    {
        var data = TensorMemory.DataPointer(weight);
        if (data != source || weight.size(0) != OutFeatures || weight.size(1) != InFeatures) return false;
        long count = weight.numel();
        var values = (float*)data;
        for (int i = 0; i < sample.Length; i++)
            if (BitConverter.SingleToInt32Bits(values[SamplePosition(i, count)]) != BitConverter.SingleToInt32Bits(sample[i])) return false;
        return true;
    }

    /// <summary>x (…, in) · Wᵀ (+ bias) → (…, out); x must be contiguous float32 on the CPU.</summary>
    public Tensor Forward(Tensor x, Tensor? bias)
    {
        int rank = (int)x.dim();
        var shape = new long[rank];
        for (int d = 0; d < rank - 1; d++) shape[d] = x.size(d);
        shape[rank - 1] = OutFeatures;
        int rows = (int)(x.numel() / InFeatures);
        var output = empty(shape, ScalarType.Float32);
        MklPackedGemm.Multiply((float*)TensorMemory.DataPointer(x), (void*)buffer, (float*)TensorMemory.DataPointer(output), rows, OutFeatures, InFeatures);
        GC.KeepAlive(this); // the buffer is freed by the finalizer: keep it alive through the native call
        return bias is null ? output : output.add_(bias, ScalarFree.One); // add_(bias) would leave its alpha Scalar to the finalizer
    }

    static float[] Sample(float* values, long count)
    {
        var sample = new float[(int)Math.Min(SampleSize, count)];
        for (int i = 0; i < sample.Length; i++) sample[i] = values[SamplePosition(i, count)];
        return sample;
    }

    /// <summary>Evenly spread positions, the last one the matrix's last element.</summary>
    static long SamplePosition(int i, long count) => count <= SampleSize ? i : (i + 1) * (count / SampleSize) - 1 + (i == SampleSize - 1 ? count % SampleSize : 0);
}
