using static TorchSharp.torch;

namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>
/// Reads the label count off a task checkpoint's classifier weights. Needed because transformers omits id2label
/// (and often num_labels) from config.json for 2-label heads, so the weights are the only record of the count.
/// </summary>
internal static class ClassifierShape
{
    // The last projection of each architecture's head; its rows are the labels. BertFor*/DistilBertFor*:
    // classifier.weight [n, H]; RobertaForSequenceClassification: classifier.dense [H, H] then classifier.out_proj [n, H].
    static readonly string[] OutputWeights = { "classifier.out_proj.weight", "classifier.weight" };

    /// <summary>Rows of the head's output weight, or null when the tensors hold no recognised 2-D classifier weight.</summary>
    public static int? LabelCount(IReadOnlyDictionary<string, Tensor> headTensors)
    {
        foreach (var key in OutputWeights)
            if (headTensors.TryGetValue(key, out var weight) && weight.dim() == 2) return (int)weight.size(0);
        return null;
    }
}
