using System.Text.Json.Serialization;
using Microsoft.ML.OnnxRuntime;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Onnx;

/// <summary>What an exported head says about itself (the export's <c>mlnet.finetune.heads</c> metadata).</summary>
internal sealed record ExportedHeadInfo(string Name, string Kind, IReadOnlyList<string> Outputs, IReadOnlyList<string> LabelNames, bool Binary);

/// <summary>How the exported model reads texts (the export's <c>mlnet.finetune.settings</c> metadata).</summary>
internal sealed record ExportedSettings(IReadOnlyList<string> InputColumns, string OutputColumnPrefix, int MaxSequenceLength,
    string Truncation, bool TokenLevel, int PadTokenId);

/// <summary>
/// Source-generated readers of the metadata records: reflection-based System.Text.Json is off in trimmed apps (it is
/// disabled by default when PublishTrimmed is set), and samples/OnnxScoringApi publishes trimmed.
/// </summary>
[JsonSerializable(typeof(ExportedSettings))]
[JsonSerializable(typeof(List<ExportedHeadInfo>))]
internal sealed partial class ExportedMetadataJson : JsonSerializerContext;

/// <summary>
/// An ONNX file written by <c>FineTuneTransformer.ExportOnnx</c>, opened: the ONNX Runtime session, the tokenizer
/// rebuilt from the files in its metadata (in memory), the scoring settings and the heads. Refuses any other ONNX file
/// with a message saying what is missing.
/// </summary>
internal sealed class OnnxFineTuneModel : IDisposable
{
    const string FormatKey = "mlnet.finetune.format", HeadsKey = "mlnet.finetune.heads", SettingsKey = "mlnet.finetune.settings",
        TokenizerPrefix = "mlnet.finetune.tokenizer/";

    OnnxFineTuneModel(InferenceSession session, ExportedSettings settings, IReadOnlyList<ExportedHeadInfo> heads, TransformerTokenizer tokenizer)
    {
        Session = session; Settings = settings; Heads = heads; Tokenizer = tokenizer;
        Truncation = Enum.Parse<TruncationStrategy>(settings.Truncation);
    }

    public InferenceSession Session { get; }
    public ExportedSettings Settings { get; }
    public IReadOnlyList<ExportedHeadInfo> Heads { get; }
    public TransformerTokenizer Tokenizer { get; }
    public TruncationStrategy Truncation { get; }

    public static OnnxFineTuneModel Open(string path, SessionOptions? options)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' not found.", path);
        var session = options is null ? new InferenceSession(path) : new InferenceSession(path, options);
        try
        {
            var metadata = session.ModelMetadata.CustomMetadataMap;
            if (!metadata.TryGetValue(FormatKey, out var format))
                throw new InvalidDataException($"ONNX model '{path}' was not written by FineTuneTransformer.ExportOnnx (no '{FormatKey}' metadata); " +
                    "score other ONNX models with mlContext.Transforms.ApplyOnnxModel.");
            if (format != "1")
                throw new InvalidDataException($"ONNX model '{path}' has export format {format}; this package reads format 1. Use the MLNet.FineTune.Onnx version that matches the exporting MLNet.FineTune.");
            string Required(string key) => metadata.TryGetValue(key, out var v) ? v
                : throw new InvalidDataException($"ONNX model '{path}': metadata '{key}' is missing (export format 1 writes it).");
            var settings = System.Text.Json.JsonSerializer.Deserialize(Required(SettingsKey), ExportedMetadataJson.Default.ExportedSettings)!;
            var heads = System.Text.Json.JsonSerializer.Deserialize(Required(HeadsKey), ExportedMetadataJson.Default.ListExportedHeadInfo)!;
            var files = metadata.Where(kv => kv.Key.StartsWith(TokenizerPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[TokenizerPrefix.Length..], kv => Convert.FromBase64String(kv.Value));
            if (files.Count == 0) throw new InvalidDataException($"ONNX model '{path}': no tokenizer files in its metadata ('{TokenizerPrefix}*').");
            var tokenizer = TransformerTokenizer.FromFiles(files, $"{path} (tokenizer metadata)");
            return new OnnxFineTuneModel(session, settings, heads, tokenizer);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public void Dispose() => Session.Dispose();
}
