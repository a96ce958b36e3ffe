using MLNet.FineTune.Modeling.Bert;
using MLNet.FineTune.Modeling.DistilBert;

namespace MLNet.FineTune.Modeling;

/// <summary>Builds the encoder a config describes (random weights; load a checkpoint into it afterwards).</summary>
internal static class EncoderFactory
{
    /// <summary>Validates <paramref name="config"/> first (<see cref="TransformerConfig.Validate"/>): nothing reaches libtorch unchecked.</summary>
    public static EncoderModel Create(TransformerConfig config, ProjectionFactory? projection = null, bool addPooler = true)
    {
        config.Validate("model config");
        return config.ModelType switch
        {
            "bert" or "roberta" => new BertModel(config, projection, addPooler),
            "distilbert" => new DistilBertModel(config, projection),
            _ => throw new NotSupportedException($"model_type '{config.ModelType}' is not supported (bert, roberta, distilbert)."),
        };
    }
}
