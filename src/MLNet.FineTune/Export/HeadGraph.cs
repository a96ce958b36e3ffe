using MLNet.FineTune.Heads;

namespace MLNet.FineTune.Export;

/// <summary>What one head contributes to the exported graph: its outputs by ML.NET column name, and its labels.</summary>
/// <param name="Name">The head's name.</param>
/// <param name="Kind">The head kind (classification, regression, token-classification).</param>
/// <param name="Outputs">Graph output names, in the order written.</param>
/// <param name="LabelNames">Class or tag names in logit order (empty for regression).</param>
/// <param name="Binary">A Boolean-label classifier (Score = logit margin, Probability, PredictedLabel bool).</param>
internal sealed record ExportedHead(string Name, string Kind, IReadOnlyList<string> Outputs, IReadOnlyList<string> LabelNames, bool Binary = false);

/// <summary>
/// Writes each fitted head after the encoder: its module (the *ForSequenceClassification / *ForTokenClassification
/// layers of <see cref="ClassifierModule"/>) and the part of its decoding that is plain arithmetic, under the ML.NET
/// column names the transformer gives (prefix + <c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>). Token heads end
/// at per-token probabilities: tags per word and entity spans need the tokenizer's word ids, which the scorer holds.
/// </summary>
internal static class HeadGraph
{
    public static ExportedHead Emit(OnnxGraphBuilder g, ExportWeights w, int index, EncoderValues encoded, string prefix)
    {
        var task = w.Network.Tasks[index];
        var module = w.Network.Head(index);
        string p = $"heads.{task.Name}.", n = $"/heads/{task.Name}";
        var logits = Logits(g, module, p, n, encoded);
        return task switch
        {
            FittedClassificationHead c => Classification(g, c, logits, prefix, n),
            FittedRegressionHead => Regression(g, task, logits, prefix, n),
            FittedTokenClassificationHead t => Tokens(g, t, logits, prefix, n),
            _ => throw new NotSupportedException($"ONNX export: head '{task.Name}' is of kind '{task.Describe().Kind}', which the export does not write yet " +
                "(supported: classification, regression, token-classification)."),
        };
    }

    static string Logits(OnnxGraphBuilder g, ClassifierModule module, string p, string n, EncoderValues encoded)
    {
        string First() => g.Add("Gather", [encoded.Hidden, g.IntScalar(0)], n + "/first_token", ("axis", 1L));
        string Linear(string x, string path) => EncoderGraph.Linear(g, x, ExportWeights.HeadLinear(module, p, path), $"{n}/{path.Replace('.', '/')}");
        switch (module)
        {
            case PooledLinearClassifier: // dropout is the identity in eval mode
                return Linear(encoded.Pooled ?? First(), "classifier");
            case RobertaClassifier:
                return Linear(g.Add("Tanh", [Linear(First(), "classifier.dense")], n + "/Tanh"), "classifier.out_proj");
            case DistilBertClassifier:
                return Linear(g.Add("Relu", [Linear(First(), "pre_classifier")], n + "/Relu"), "classifier");
            case TokenClassifier:
                var states = encoded.VirtualTokens == 0 ? encoded.Hidden
                    : g.Add("Slice", [encoded.Hidden, g.Ints(encoded.VirtualTokens), g.Ints(long.MaxValue), g.Ints(1)], n + "/real_tokens");
                return Linear(states, "classifier");
            default:
                throw new NotSupportedException($"ONNX export: head module {module.GetType().Name} has no ONNX form.");
        }
    }

    static ExportedHead Classification(OnnxGraphBuilder g, FittedClassificationHead head, string logits, string prefix, string n)
    {
        var probabilities = g.Add("Softmax", [logits], n + "/Softmax", ("axis", -1L));
        g.Output(logits, prefix + "Logits", OnnxElement.Float, "batch", head.OutputSize);
        if (head.IsBinary)
        {
            // FittedClassificationHead.Decode: Score = logit(True) − logit(False), Probability = p(True), PredictedLabel = p(True) > 0.5.
            string Column(string value, long i, string what) => g.Add("Gather", [value, g.IntScalar(i)], $"{n}/{what}", ("axis", 1L));
            var score = g.Add("Sub", [Column(logits, 1, "logit_true"), Column(logits, 0, "logit_false")], n + "/margin");
            var probability = Column(probabilities, 1, "p_true");
            g.Output(score, prefix + "Score", OnnxElement.Float, "batch");
            g.Output(probability, prefix + "Probability", OnnxElement.Float, "batch");
            g.Output(g.Add("Greater", [probability, g.Scalar(0.5f)], n + "/Greater"), prefix + "PredictedLabel", OnnxElement.Bool, "batch");
            return new ExportedHead(head.Name, ClassificationHead.KindName, [prefix + "Logits", prefix + "Score", prefix + "Probability", prefix + "PredictedLabel"], head.LabelNames, Binary: true);
        }
        // Multiclass: Score = class probabilities; PredictedLabel = ML.NET's key value, 1-based (0 would mean missing), first maximum on ties.
        var argmax = g.Add("ArgMax", [probabilities], n + "/ArgMax", ("axis", 1L), ("keepdims", 0L));
        var key = g.Add("Cast", [g.Add("Add", [argmax, g.IntScalar(1)], n + "/key")], n + "/key_uint32", ("to", (long)OnnxElement.UInt32));
        g.Output(probabilities, prefix + "Score", OnnxElement.Float, "batch", head.OutputSize);
        g.Output(key, prefix + "PredictedLabel", OnnxElement.UInt32, "batch");
        return new ExportedHead(head.Name, ClassificationHead.KindName, [prefix + "Logits", prefix + "Score", prefix + "PredictedLabel"], head.LabelNames);
    }

    static ExportedHead Regression(OnnxGraphBuilder g, IFittedHead head, string logits, string prefix, string n)
    {
        g.Output(g.Add("Squeeze", [logits, g.Ints(-1)], n + "/Squeeze"), prefix + "Score", OnnxElement.Float, "batch");
        return new ExportedHead(head.Name, RegressionHead.KindName, [prefix + "Score"], []);
    }

    static ExportedHead Tokens(OnnxGraphBuilder g, FittedTokenClassificationHead head, string logits, string prefix, string n)
    {
        g.Output(logits, prefix + "Logits", OnnxElement.Float, "batch", "sequence", head.OutputSize);
        g.Output(g.Add("Softmax", [logits], n + "/Softmax", ("axis", -1L)), prefix + "TokenProbabilities", OnnxElement.Float, "batch", "sequence", head.OutputSize);
        return new ExportedHead(head.Name, TokenClassificationHead.KindName, [prefix + "Logits", prefix + "TokenProbabilities"], head.LabelNames);
    }
}
