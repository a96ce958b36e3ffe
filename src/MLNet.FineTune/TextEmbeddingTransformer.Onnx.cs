using System.Text.Json;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Export;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune;

public sealed partial class TextEmbeddingTransformer
{
    /// <summary>
    /// Writes this embedding model as one self-contained ONNX file (opset 17) that ONNX Runtime, ML.NET's
    /// <c>ApplyOnnxModel</c> or MLNet.FineTune.Onnx (<c>mlContext.Model.LoadFineTuneOnnx</c>) runs without TorchSharp:
    /// inputs <c>input_ids</c>, <c>attention_mask</c> (and <c>token_type_ids</c> for BERT and RoBERTa), int64 with dynamic
    /// batch and sequence axes; the encoder followed by this model's pooling (<see cref="Pooling"/>), Matryoshka
    /// truncation (<see cref="Dimensions"/>) and L2 normalisation (<see cref="Normalize"/>); one output named
    /// <see cref="OutputColumnName"/>, (batch, <see cref="Dimensions"/>). The tokenizer files, scoring settings and the
    /// pooling/normalisation/dimensions (<c>mlnet.finetune.embedding</c>) are in the model's metadata. Written atomically.
    /// </summary>
    /// <param name="path">The .onnx file to write; its folder must exist. An existing file is replaced.</param>
    public void ExportOnnx(string path) => ExportOnnx(path, new OnnxExportOptions());

    /// <inheritdoc cref="ExportOnnx(string)"/>
    /// <param name="path">The .onnx file to write; its folder must exist. An existing file is replaced.</param>
    /// <param name="options">Export options: <see cref="OnnxExportOptions.Quantization"/> writes int8 weights (off by default),
    /// <see cref="OnnxExportOptions.Operators"/> ONNX Runtime's fused operators (standard ONNX by default).</param>
    public void ExportOnnx(string path, OnnxExportOptions options)
    {
        var (quantize, fused) = OnnxExportOptions.Check(path, options);
        OnnxExport.Save(BuildOnnx(quantize, fused), path);
    }

    internal ProtoMessage BuildOnnx(bool quantize = false, bool fused = false)
    {
        var spec = new EmbeddingGraphSpec(Pooling.ToString().ToLowerInvariant(), Normalize, Dimensions, OutputColumnName);
        var settings = new FineTuneTransformer.OnnxScoringSettings([InputColumnName], "", MaxSequenceLength, nameof(TruncationStrategy.LongestFirst),
            TokenLevel: false, Package.Tokenizer.PadTokenId);
        var card = JsonSerializer.Serialize(new { BaseModel = Package.BaseName, BaseWeightsSha256 = Package.BaseWeightsSha256 });
        return OnnxExport.BuildEmbedding(Encoder, spec, FineTuneTransformer.OnnxScoringMetadata(settings, card, Package), quantize, fused: fused);
    }
}
