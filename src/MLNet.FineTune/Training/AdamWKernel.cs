using System.Numerics;
using MLNet.FineTune.Modeling;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>
/// One AdamW update of a float32 CPU parameter in a single pass over memory. The tensor-op form
/// (<c>mul_</c>, <c>mul_().add_</c>, <c>mul_().addcmul_</c>, <c>sqrt</c>, <c>add_</c>, <c>addcdiv_</c>) reads and writes the
/// parameter, both moments and a temporary denominator about eight times per step; on MiniLM (22.7M parameters, half of them
/// the word-embedding table) that memory traffic was 127 ms of a 660 ms step (docs/benchmarks.md, "Where a MiniLM step goes").
/// Here each element is loaded once, updated in registers and stored once, in the same order of float operations as the
/// tensor form (each intermediate rounded to float32), over as many threads as libtorch uses. Elementwise, so the result does
/// not depend on the thread count or chunking: seeded runs stay bit-reproducible.
/// </summary>
internal static unsafe class AdamWKernel
{
    /// <summary>Whether a tensor can be updated in place through its raw buffer: dense, contiguous float32 on the CPU.</summary>
    public static bool Supports(Tensor t) => TensorMemory.IsDenseCpuFloat(t);

    /// <summary>
    /// p ← p·decay; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p + stepSize·m / (√v + eps), for every element.
    /// All four tensors must satisfy <see cref="Supports"/> and have the same number of elements.
    /// </summary>
    public static void Update(Tensor parameter, Tensor grad, Tensor expAvg, Tensor expAvgSq,
        float decay, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float stepSize, float epsilon)
    {
        long n = parameter.numel();
        if (grad.numel() != n || expAvg.numel() != n || expAvgSq.numel() != n)
            throw new ArgumentException($"AdamW kernel: element counts differ (parameter {n}, grad {grad.numel()}, moments {expAvg.numel()}/{expAvgSq.numel()}).");
        var k = new Arguments(TensorMemory.DataPointer(parameter), TensorMemory.DataPointer(grad), TensorMemory.DataPointer(expAvg),
            TensorMemory.DataPointer(expAvgSq), decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, epsilon);
        TensorMemory.ForEachChunk(n, (start, end) => Run(k, start, end));
    }

    readonly record struct Arguments(nint Parameter, nint Grad, nint ExpAvg, nint ExpAvgSq, float Decay, float Beta1, float OneMinusBeta1,
        float Beta2, float OneMinusBeta2, float StepSize, float Epsilon)
    {
        public float* P => (float*)Parameter;
        public float* G => (float*)Grad;
        public float* M => (float*)ExpAvg;
        public float* V => (float*)ExpAvgSq;
    }

    static void Run(in Arguments a, long start, long end)
    {
        long i = start;
        int width = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var decay = new Vector<float>(a.Decay);
            var beta1 = new Vector<float>(a.Beta1);
            var omb1 = new Vector<float>(a.OneMinusBeta1);
            var beta2 = new Vector<float>(a.Beta2);
            var omb2 = new Vector<float>(a.OneMinusBeta2);
            var stepSize = new Vector<float>(a.StepSize);
            var eps = new Vector<float>(a.Epsilon);
            for (; i + width <= end; i += width)
            {
                var g = Vector.Load(a.G + i);
                var p = Vector.Load(a.P + i) * decay;
                var m = Vector.Load(a.M + i) * beta1 + g * omb1;
                var v = Vector.Load(a.V + i) * beta2 + omb2 * g * g;
                var denom = Vector.SquareRoot(v) + eps;
                p += stepSize * (m / denom);
                Vector.Store(m, a.M + i);
                Vector.Store(v, a.V + i);
                Vector.Store(p, a.P + i);
            }
        }
        for (; i < end; i++)
        {
            float g = a.G[i];
            float p = a.P[i] * a.Decay;
            float m = a.M[i] * a.Beta1 + g * a.OneMinusBeta1;
            float v = a.V[i] * a.Beta2 + a.OneMinusBeta2 * g * g;
            float denom = MathF.Sqrt(v) + a.Epsilon;
            a.M[i] = m;
            a.V[i] = v;
            a.P[i] = p + a.StepSize * (m / denom);
        }
    }
}
