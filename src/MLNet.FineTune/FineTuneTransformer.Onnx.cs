using System.Text.Json;
using MLNet.FineTune.Export;
using MLNet.FineTune.Modeling;

namespace MLNet.FineTune;

public sealed partial class FineTuneTransformer
{
    /// <summary>Metadata keys of an exported model besides the export's own (docs/design/onnx-export.md).</summary>
    internal const string ModelCardKey = "mlnet.finetune.model_card", SettingsKey = "mlnet.finetune.settings", TokenizerKeyPrefix = "mlnet.finetune.tokenizer/";

    /// <summary>How the exported model reads texts: what a scorer without TorchSharp needs besides the graph and the tokenizer files.</summary>
    internal sealed record OnnxScoringSettings(IReadOnlyList<string> InputColumns, string OutputColumnPrefix, int MaxSequenceLength,
        string Truncation, bool TokenLevel, int PadTokenId);

    /// <summary>
    /// Writes this model as one self-contained ONNX file (opset 17) that ONNX Runtime or ML.NET's <c>ApplyOnnxModel</c>
    /// runs without TorchSharp: inputs <c>input_ids</c>, <c>attention_mask</c> (and <c>token_type_ids</c> for BERT and
    /// RoBERTa), int64 with dynamic batch and sequence axes; outputs named after this transformer's columns
    /// (<c>Score</c>, <c>Probability</c>, <c>PredictedLabel</c>, per-token <c>TokenProbabilities</c>, plus each head's
    /// <c>Logits</c>); LoRA merged into the weights (the model itself is not changed); the label names, model card,
    /// scoring settings and tokenizer files in the model's metadata. Written atomically: a failed export never leaves a
    /// partial file at <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The .onnx file to write; its folder must exist. An existing file is replaced.</param>
    /// <exception cref="NotSupportedException">The model uses per-task adapters (PeftOptions.AdapterPerTask) or a head kind the export does not write.</exception>
    public void ExportOnnx(string path) => ExportOnnx(path, new OnnxExportOptions());

    /// <inheritdoc cref="ExportOnnx(string)"/>
    /// <param name="path">The .onnx file to write; its folder must exist. An existing file is replaced.</param>
    /// <param name="options">Export options: <see cref="OnnxExportOptions.Quantization"/> writes int8 weights (off by default),
    /// <see cref="OnnxExportOptions.Operators"/> ONNX Runtime's fused operators (standard ONNX by default).</param>
    public void ExportOnnx(string path, OnnxExportOptions options)
    {
        var (quantize, fused) = OnnxExportOptions.Check(path, options);
        OnnxExport.Save(BuildOnnx(quantize, fused: fused), path);
    }

    internal ProtoMessage BuildOnnx(bool quantize = false, Int8Plan? plan = null, bool fused = false) =>
        OnnxExport.Build(Network, Settings.OutputColumnPrefix, OnnxMetadata(), quantize, plan, fused);

    IEnumerable<KeyValuePair<string, string>> OnnxMetadata() => OnnxScoringMetadata(
        new OnnxScoringSettings(Settings.InputColumns, Settings.OutputColumnPrefix, scorer.MaxLength, Settings.Truncation.ToString(),
            Network.Tasks.Any(t => t.IsTokenLevel), Package.Tokenizer.PadTokenId),
        JsonSerializer.Serialize(Card), Package);

    /// <summary>What a TorchSharp-free scorer needs beside the graph: settings, model card, tokenizer files (also used by TextEmbeddingTransformer).</summary>
    internal static IEnumerable<KeyValuePair<string, string>> OnnxScoringMetadata(OnnxScoringSettings settings, string cardJson, ModelPackage package)
    {
        yield return KeyValuePair.Create(SettingsKey, JsonSerializer.Serialize(settings));
        yield return KeyValuePair.Create(ModelCardKey, cardJson);
        // Base64 because tokenizer files may be binary (SentencePiece .model); the scorer needs them beside the graph.
        foreach (var (name, bytes) in package.Files)
            yield return KeyValuePair.Create(TokenizerKeyPrefix + name, Convert.ToBase64String(bytes));
    }
}
