using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Cli.Output;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Cli.Prediction;

/// <summary>
/// A model zip opened for prediction: the ML.NET model, the input columns its text goes into (one, or two for
/// sentence pairs), refused unless it holds a FineTune, TextEmbedding or TextGeneration transformer.
/// </summary>
internal sealed record LoadedModel(MLContext Context, ITransformer Model, DataViewSchema InputSchema, IReadOnlyList<string> TextColumns)
{
    /// <summary>The model when it is a sentence-embedding model alone: a text pair is then scored as the cosine of its two embeddings.</summary>
    public TextEmbeddingTransformer? EmbeddingOnly { get; init; }

    /// <summary>The model when it is a text-generation model: predict writes its completion for each prompt or conversation.</summary>
    public TextGenerationTransformer? Generation { get; init; }

    /// <summary>
    /// A label column the model maps before scoring (a SetFit chain starts with MapValueToKey(Label), which needs the
    /// column even when predicting); predict fills it with "" (a missing key).
    /// </summary>
    public string? EmptyLabelColumn { get; init; }

    public static LoadedModel Load(string path)
    {
        UserFile.CheckRegular(path, "model file");
        var ml = new MLContext(seed: 0);
        ITransformer model;
        DataViewSchema inputSchema;
        try { model = ml.Model.Load(path, out inputSchema); }
        catch (Exception e) when (e is FormatException or InvalidDataException or InvalidOperationException or ArgumentException or NotSupportedException
                                     or System.Reflection.TargetInvocationException or IOException)
        {
            throw new UserError($"{path} is not a model zip this tool can load ({Innermost(e).Message.ReplaceLineEndings(" ")}); give the model.zip written by 'mlnet-finetune train' or MLContext.Model.Save.");
        }
        var texts = TextInputs(Flatten(model), inputSchema)
            ?? throw new UserError($"{path} is an ML.NET model but holds no FineTune, TextEmbedding or TextGeneration transformer; predict scores fine-tuned text models only.");
        var parts = Flatten(model).ToList();
        return new(ml, model, inputSchema, texts)
        {
            EmbeddingOnly = parts is [TextEmbeddingTransformer embedding] ? embedding : null,
            Generation = parts.OfType<TextGenerationTransformer>().FirstOrDefault(),
            EmptyLabelColumn = !parts.OfType<FineTuneTransformer>().Any() && parts.Count > 1 && inputSchema.GetColumnOrNull("Label") is { Type: TextDataViewType } ? "Label" : null,
        };
    }

    static Exception Innermost(Exception e) => e.InnerException is { } inner && e is System.Reflection.TargetInvocationException ? Innermost(inner) : e;

    static IEnumerable<ITransformer> Flatten(ITransformer model) => model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];

    /// <summary>The model's text input columns: the transformer's own when the raw input has them, else the raw input's string columns.</summary>
    static IReadOnlyList<string>? TextInputs(IEnumerable<ITransformer> parts, DataViewSchema input)
    {
        var ours = parts.Select(p => p switch
        {
            FineTuneTransformer f => f.InputColumnNames,
            TextEmbeddingTransformer t => (IReadOnlyList<string>)[t.InputColumnName],
            TextGenerationTransformer g => (IReadOnlyList<string>)[g.PromptColumnName],
            _ => null,
        }).FirstOrDefault(c => c is not null);
        if (ours is null) return null;
        if (ours.All(c => input.GetColumnOrNull(c) is { Type: TextDataViewType })) return ours;
        // Transforms before ours renamed the text (CopyColumns "Review" -> "Text"): take the raw input's text columns.
        var strings = input.Where(c => c.Type is TextDataViewType && c.Name != "Label").Select(c => c.Name).ToList();
        return strings.Count is 1 or 2 ? strings : ours;
    }
}
