using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune;

/// <summary>
/// Turns a text column into a sentence-embedding column with a pretrained encoder; nothing is trained, so
/// <see cref="Fit"/> only loads the model. Created by <c>mlContext.Transforms.TextEmbedding(...)</c>; the output feeds
/// any ML.NET trainer (SdcaMaximumEntropy, LbfgsLogisticRegression, KMeans…).
/// </summary>
public sealed class TextEmbeddingEstimator : IEstimator<TextEmbeddingTransformer>
{
    readonly IHostEnvironment context;

    public TextEmbeddingEstimator(IHostEnvironment context, TextEmbeddingOptions options)
    {
        this.context = context ?? throw new ArgumentNullException(nameof(context));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        TextEmbeddingOptionsValidation.Validate(options);
    }

    public TextEmbeddingOptions Options { get; }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var name = Options.InputColumnName;
        if (!inputSchema.TryFindColumn(name, out var col))
            throw new ArgumentOutOfRangeException(name, $"Text column '{name}' not found in the input schema.");
        if (col.Kind != SchemaShape.Column.VectorKind.Scalar || col.ItemType is not TextDataViewType)
            throw new ArgumentOutOfRangeException(name, $"Text column '{name}' has type {col.ItemType}{(col.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}; expected String.");
        var result = inputSchema.ToDictionary(c => c.Name);
        result[Options.OutputColumnName] = new SchemaShape.Column(Options.OutputColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false);
        return new SchemaShape(result.Values);
    }

    /// <summary>Loads the encoder (the input is only schema-checked: an embedding model learns nothing from it).</summary>
    public TextEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        return Create(context, Options);
    }

    internal static TextEmbeddingTransformer Create(IHostEnvironment env, TextEmbeddingOptions options)
    {
        TorchRuntime.EnsureLoaded();
        if (options.FineTunedModel is { } fineTuned) return FromFineTuned(env, options, fineTuned);
        var package = options.BaseModel is { } pretrained ? ModelPackage.FromPretrained(pretrained) : ModelPackage.FromCheckpoint(options.BaseModelFolder!);
        var folder = package.BaseFolder!;
        var loaded = PretrainedEncoder.Load(folder, config: package.Config);
        foreach (var t in loaded.HeadTensors.Values) t.Dispose(); // a classifier head the checkpoint may carry plays no part in embeddings
        int maxLength = options.MaxSequenceLength ?? SentenceTransformersFolder.MaxSequenceLength(folder) ?? SentenceTransformersFolder.DefaultMaxSequenceLength;
        return Build(env, options, package, loaded.Encoder, maxLength, SentenceTransformersFolder.Pooling(folder));
    }

    static TextEmbeddingTransformer Build(IHostEnvironment env, TextEmbeddingOptions options, ModelPackage package, EncoderModel encoder, int maxLength, EmbeddingPooling? folderPooling)
    {
        var pooling = options.Pooling ?? folderPooling ?? FromName(package.Pretrained?.Pooling) ?? EmbeddingPooling.Mean;
        int dimensions = options.Dimensions ?? package.Config.HiddenSize;
        TextEmbeddingOptionsValidation.CheckDimensions(dimensions, package.Config.HiddenSize, "TextEmbeddingOptions.Dimensions");
        var settings = new EmbeddingSettings(options.InputColumnName, options.OutputColumnName, pooling, options.Normalize, dimensions, maxLength, options.BatchSize);
        return new TextEmbeddingTransformer(env, package, encoder, settings, maxLengthMayShrink: options.MaxSequenceLength is null);
    }

    /// <summary>
    /// The fine-tuned encoder, copied into a plain encoder: the embedding model stays what it was when created (the
    /// FineTune model may train on or be freed) and saves like a pretrained one. Methods that change the encoder's
    /// structure (LoRA, adapters, prompt tuning) would need their weights merged first; they are refused.
    /// </summary>
    static TextEmbeddingTransformer FromFineTuned(IHostEnvironment env, TextEmbeddingOptions options, FineTuneTransformer model)
    {
        var method = model.Settings.Peft.Method;
        if (method is not (Peft.PeftMethod.Full or Peft.PeftMethod.HeadOnly or Peft.PeftMethod.BitFit))
            throw new NotSupportedException($"TextEmbeddingOptions.FineTunedModel: the model was fine-tuned with {method}, which changes the encoder's structure; " +
                "embedding with it is supported for Full, HeadOnly and BitFit fine-tuning.");
        // Named as what it is: the metadata's model id must not pass a fine-tuned model off as its base.
        var package = model.Package with { BaseName = model.Package.BaseName + " (fine-tuned)" };
        var source = model.Network.Encoder;
        var weights = source.named_parameters().ToDictionary(p => p.name, p => (TorchSharp.torch.Tensor)p.parameter);
        var encoder = EncoderFactory.Create(package.Config, addPooler: weights.ContainsKey("pooler.dense.weight"));
        using (TorchSharp.torch.no_grad()) Modeling.Checkpoints.StateDictLoader.Load(encoder, weights, "fine-tuned model (encoder)");
        var folderPooling = package.BaseFolder is { } folder ? SentenceTransformersFolder.Pooling(folder) : null;
        return Build(env, options, package, encoder, options.MaxSequenceLength ?? model.Settings.MaxSequenceLength, folderPooling);
    }

    static EmbeddingPooling? FromName(string? name) => name switch
    {
        "mean" => EmbeddingPooling.Mean, "cls" => EmbeddingPooling.Cls, "max" => EmbeddingPooling.Max, _ => null,
    };
}

/// <summary>What a sentence-transformers folder says about pooling and length (1_Pooling/config.json, sentence_bert_config.json).</summary>
internal static class SentenceTransformersFolder
{
    /// <summary>sentence-transformers' all-MiniLM-L6-v2 max_seq_length (what its ONNX package truncates at too).</summary>
    public const int DefaultMaxSequenceLength = 256;

    public static EmbeddingPooling? Pooling(string folder)
    {
        var path = Path.Combine(folder, "1_Pooling", "config.json");
        if (!File.Exists(path)) return null;
        var json = JsonFields.Read(path, "sentence-transformers pooling config");
        var modes = new (string Key, EmbeddingPooling? Mode)[]
        {
            ("pooling_mode_cls_token", EmbeddingPooling.Cls), ("pooling_mode_mean_tokens", EmbeddingPooling.Mean), ("pooling_mode_max_tokens", EmbeddingPooling.Max),
            ("pooling_mode_mean_sqrt_len_tokens", null), ("pooling_mode_weightedmean_tokens", null), ("pooling_mode_lasttoken", null),
        };
        var on = modes.Where(m => json.Bool(m.Key) == true).ToList();
        if (on.Count == 0) return null;
        if (on.Count > 1 || on[0].Mode is null)
            throw new NotSupportedException($"{path} asks for pooling {string.Join(" + ", on.Select(m => m.Key))}; supported: exactly one of mean, cls or max. Set TextEmbeddingOptions.Pooling to override.");
        return on[0].Mode;
    }

    public static int? MaxSequenceLength(string folder)
    {
        var path = Path.Combine(folder, "sentence_bert_config.json");
        return File.Exists(path) ? JsonFields.Read(path, "sentence-transformers config").Int("max_seq_length") : null;
    }
}
