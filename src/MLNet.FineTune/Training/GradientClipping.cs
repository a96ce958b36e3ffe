using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Training;

/// <summary>Gradient-norm clipping, <c>torch.nn.utils.clip_grad_norm_</c> with the L2 norm.</summary>
public static class GradientClipping
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
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0.0;
        var total = stack(grads.Select(g => g.norm()).ToArray()).norm();
        var coefficient = (maxNorm / (total + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(coefficient.to(g.device));
        return total.item<float>();
    }
}
