using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// One initializer and the Hugging Face parameter it turned out to be, with the evidence (for messages).
/// <c>Transpose</c>: stored [in, out] (MatMul's layout), transposed to torch's [out, in] on import.
/// </summary>
internal sealed record OnnxRole(string Name, OnnxTensor Tensor, bool Transpose, OnnxNode Node, string Why);

/// <summary>What the graph matcher recovered: every weight's role and the sizes the config is made of.</summary>
internal sealed class OnnxBertStructure
{
    public List<OnnxRole> Roles { get; } = new();
    public long Vocab { get; set; }
    public long Hidden { get; set; }
    public long Positions { get; set; }
    public long TypeVocab { get; set; }
    public long Intermediate { get; set; }
    public long Heads { get; set; }
    public int Layers { get; set; }
    public string? Activation { get; set; }
    public List<double> Epsilons { get; } = new();
    public bool HasPooler { get; set; }

    public void Add(string name, OnnxTensor tensor, OnnxNode node, string why, bool transpose = false) =>
        Roles.Add(new OnnxRole(name, tensor, transpose, node, why));

    public void Add(string prefix, OnnxLinear linear, string why)
    {
        Add(prefix + ".weight", linear.Weight, linear.Node, why, transpose: linear.StoredInOut);
        Add(prefix + ".bias", linear.Bias, linear.BiasNode, "the bias of the projection that " + why);
    }

    public void Add(string prefix, OnnxLayerNorm norm, string why)
    {
        Add(prefix + ".weight", norm.Weight, norm.Node, why);
        Add(prefix + ".bias", norm.Bias, norm.Node, why);
        Epsilons.Add(norm.Epsilon);
    }

    /// <summary>Sets a size every layer must share; a second, different value is a graph we do not understand.</summary>
    public long Same(long current, long found, string what, string where) =>
        current == 0 || current == found ? found
        : throw new CheckpointException($"{where}: {what} is {found}, but earlier layers have {current}; one encoder has one {what}.");
}
