using MLNet.FineTune.Embeddings;
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
        SchemaShapeChecks.RequireText(inputSchema, Options.InputColumnName, "Text");
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

    internal static TextEmbeddingTransformer Build(IHostEnvironment env, TextEmbeddingOptions options, ModelPackage package, EncoderModel encoder, int maxLength, EmbeddingPooling? folderPooling)
    {
        var pooling = ResolvePooling(options.Pooling, package, folderPooling);
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
        var encoder = PlainEncoderCopy.Create(package.Config, weights, "fine-tuned model (encoder)");
        var folderPooling = package.BaseFolder is { } folder ? SentenceTransformersFolder.Pooling(folder) : null;
        return Build(env, options, package, encoder, options.MaxSequenceLength ?? model.Settings.MaxSequenceLength, folderPooling);
    }

    /// <summary>The pooling asked for, else the folder's sentence-transformers config, else the pretrained model's recorded pooling, else mean.</summary>
    internal static EmbeddingPooling ResolvePooling(EmbeddingPooling? requested, ModelPackage package, EmbeddingPooling? folderPooling) =>
        requested ?? folderPooling ?? FromName(package.Pretrained?.Pooling) ?? EmbeddingPooling.Mean;

    static EmbeddingPooling? FromName(string? name) => name switch
    {
        "mean" => EmbeddingPooling.Mean, "cls" => EmbeddingPooling.Cls, "max" => EmbeddingPooling.Max, _ => null,
    };
}
