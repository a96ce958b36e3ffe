using MLNet.FineTune.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>Gradient-norm clipping, <c>torch.nn.utils.clip_grad_norm_</c> with the L2 norm.</summary>
internal static class GradientClipping
{
    /// <summary>
    /// Scales all gradients by <c>min(1, maxNorm / (totalNorm + 1e-6))</c> in place and returns the total L2 norm
    /// before clipping. Parameters without gradients are ignored; with none at all the norm is 0.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var grads = Gradients(parameters);
        float total = Norm(grads);
        // float32 arithmetic, as torch computes the coefficient on a float32 tensor; the Scalar is disposed at once (see Modeling.ScalarFree).
        float coefficient = (float)maxNorm / (total + 1e-6f);
        if (coefficient < 1f)
        {
            using var factor = coefficient.ToScalar();
            foreach (var g in grads) g.mul_(factor);
        }
        return total;
    }

    /// <summary>
    /// The total L2 norm of the gradients, leaving them unchanged: what training reports as grad_norm when clipping is
    /// off (<see cref="TrainingOptions.MaxGradNorm"/> = 0). Parameters without gradients are ignored; none at all gives 0.
    /// </summary>
    public static double TotalNorm(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Norm(Gradients(parameters));
    }

    static List<Tensor> Gradients(IEnumerable<Parameter> parameters) =>
        parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();

    static float Norm(List<Tensor> grads)
    {
        if (grads.Count == 0) return 0f;
        // ‖(‖g₁‖, ‖g₂‖, …)‖ accumulated on the gradients' device (one host sync, as torch's), without torch.stack,
        // which leaves a finalizable handle array per call (see Modeling.ScalarFree).
        var first = grads[0].norm();
        var sumOfSquares = first.mul(first);
        foreach (var g in grads.Skip(1))
        {
            var norm = g.norm();
            sumOfSquares.addcmul_(norm, norm, ScalarFree.One);
        }
        return sumOfSquares.sqrt().ItemSingle();
    }
}
