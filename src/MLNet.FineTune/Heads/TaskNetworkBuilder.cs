using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>Builds the <see cref="TaskNetwork"/> for a base model, fitted heads and a PEFT method.</summary>
internal static class TaskNetworkBuilder
{
    /// <summary>
    /// The encoder with base weights (or Hugging Face's random init for the built-in model), one head module per task,
    /// and the PEFT method attached.
    /// </summary>
    /// <remarks>
    /// Module constructors and initialisation draw from torch's global generator: the build holds it
    /// (<see cref="TorchRandomStream.Exclusive{T}"/>), so a model loaded during another run's training does not change that run's draws.
    /// </remarks>
    public static TaskNetwork Build(ModelPackage package, IReadOnlyList<IFittedHead> heads, PeftOptions peftOptions) =>
        TorchRandomStream.Exclusive(() => BuildNow(package, heads, peftOptions));

    static TaskNetwork BuildNow(ModelPackage package, IReadOnlyList<IFittedHead> heads, PeftOptions peftOptions)
    {
        var peft = new PeftModel(peftOptions, package.Config.ModelType, heads.Select(h => h.Name).ToList());
        EncoderModel encoder;
        IReadOnlyDictionary<string, Tensor> headTensors = new Dictionary<string, Tensor>();
        if (package.BaseFolder is null)
        {
            encoder = EncoderFactory.Create(package.Config, peft.Projection);
            HuggingFaceInit.Apply(encoder);
        }
        else
        {
            var loaded = PretrainedEncoder.Load(package.BaseFolder, peft.Projection, peft.IsAddedByProjection, package.Config);
            encoder = loaded.Encoder;
            headTensors = loaded.HeadTensors;
        }
        var modules = heads.Select(h => { var m = h.CreateModule(package.Config); HuggingFaceInit.Apply(m); return m; }).ToList();
        // A checkpoint that already has a head of the right shape (e.g. *ForSequenceClassification) starts from it, as transformers does.
        if (heads.Count == 1 && headTensors.Count > 0)
        {
            var shapes = modules[0].named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
            if (shapes.All(s => headTensors.TryGetValue(s.Key, out var t) && t.shape.SequenceEqual(s.Value)))
                StateDictLoader.Load(modules[0], headTensors, package.BaseFolder!);
        }
        return new TaskNetwork(encoder, heads, modules, peft);
    }
}
