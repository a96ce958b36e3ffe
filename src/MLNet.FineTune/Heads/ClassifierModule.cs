using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>A task head's network: encoder output → logits. Parameter names follow Hugging Face's *For* classes.</summary>
internal abstract class ClassifierModule : nn.Module
{
    protected ClassifierModule(string name) : base(name) { }

    public abstract Tensor Forward(EncoderOutput encoded);

    /// <summary>
    /// The sequence-classification head Hugging Face puts on each architecture, so its checkpoints' <c>classifier.*</c>
    /// weights load by name: BERT (dropout + linear on the pooler), RoBERTa (dense + tanh + out_proj on &lt;s&gt;),
    /// DistilBERT (pre_classifier + ReLU + classifier on [CLS]).
    /// </summary>
    public static ClassifierModule ForSequence(TransformerConfig config, int outputs) => config.ModelType switch
    {
        "bert" => new PooledLinearClassifier(config, outputs),
        "roberta" => new RobertaClassifier(config, outputs),
        "distilbert" => new DistilBertClassifier(config, outputs),
        _ => throw new NotSupportedException(config.ModelType),
    };
}

/// <summary>BertForSequenceClassification: <c>classifier</c> on dropout(pooler_output). Without a pooler it reads [CLS].</summary>
internal sealed class PooledLinearClassifier : ClassifierModule
{
    readonly nn.Module<Tensor, Tensor> dropout, classifier;

    public PooledLinearClassifier(TransformerConfig config, int outputs) : base(nameof(PooledLinearClassifier))
    {
        dropout = new VectorizedDropout(config.ClassifierDropout ?? config.HiddenDropout);
        classifier = nn.Linear(config.HiddenSize, outputs);
        RegisterComponents();
    }

    public override Tensor Forward(EncoderOutput encoded)
    {
        using var scope = NewDisposeScope();
        var pooled = encoded.Pooled ?? encoded.LastHiddenState[TensorIndex.Colon, 0];
        return classifier.call(dropout.call(pooled)).MoveToOuterDisposeScope();
    }
}

/// <summary>RobertaClassificationHead: <c>classifier.dense</c>, tanh, <c>classifier.out_proj</c> on the first token.</summary>
internal sealed class RobertaClassifier : ClassifierModule
{
    readonly Inner classifier;

    public RobertaClassifier(TransformerConfig config, int outputs) : base(nameof(RobertaClassifier))
    {
        classifier = new Inner(config, outputs);
        RegisterComponents();
    }

    public override Tensor Forward(EncoderOutput encoded) => classifier.call(encoded.LastHiddenState[TensorIndex.Colon, 0]);

    sealed class Inner : nn.Module<Tensor, Tensor>
    {
        readonly nn.Module<Tensor, Tensor> dense, dropout, out_proj;

        public Inner(TransformerConfig config, int outputs) : base("RobertaClassificationHead")
        {
            dense = nn.Linear(config.HiddenSize, config.HiddenSize);
            dropout = new VectorizedDropout(config.ClassifierDropout ?? config.HiddenDropout);
            out_proj = nn.Linear(config.HiddenSize, outputs);
            RegisterComponents();
        }

        public override Tensor forward(Tensor first)
        {
            using var scope = NewDisposeScope();
            return out_proj.call(dropout.call(dense.call(dropout.call(first)).tanh())).MoveToOuterDisposeScope();
        }
    }
}

/// <summary>DistilBertForSequenceClassification: <c>pre_classifier</c>, ReLU, dropout, <c>classifier</c> on [CLS].</summary>
internal sealed class DistilBertClassifier : ClassifierModule
{
    readonly nn.Module<Tensor, Tensor> pre_classifier, dropout, classifier;

    public DistilBertClassifier(TransformerConfig config, int outputs) : base(nameof(DistilBertClassifier))
    {
        pre_classifier = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = new VectorizedDropout(config.SequenceClassifierDropout ?? 0.2);
        classifier = nn.Linear(config.HiddenSize, outputs);
        RegisterComponents();
    }

    public override Tensor Forward(EncoderOutput encoded)
    {
        using var scope = NewDisposeScope();
        var first = encoded.LastHiddenState[TensorIndex.Colon, 0];
        return classifier.call(dropout.call(nn.functional.relu(pre_classifier.call(first)))).MoveToOuterDisposeScope();
    }
}

/// <summary>*ForTokenClassification: <c>classifier</c> on dropout(every token's state) → (B, T, labels).</summary>
internal sealed class TokenClassifier : ClassifierModule
{
    readonly nn.Module<Tensor, Tensor> dropout, classifier;

    public TokenClassifier(TransformerConfig config, int outputs) : base(nameof(TokenClassifier))
    {
        dropout = new VectorizedDropout(config.ClassifierDropout ?? config.HiddenDropout);
        classifier = nn.Linear(config.HiddenSize, outputs);
        RegisterComponents();
    }

    public override Tensor Forward(EncoderOutput encoded)
    {
        using var scope = NewDisposeScope();
        return classifier.call(dropout.call(encoded.LastHiddenState)).MoveToOuterDisposeScope();
    }
}
