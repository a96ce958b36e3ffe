using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Tokenization;

[assembly: ZipPersistedTransformer(typeof(TokenizeTransformer), PayloadVersion = 1)]

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Adds a checkpoint tokenizer's model inputs as ML.NET columns: <c>{prefix}InputIds</c>, <c>{prefix}AttentionMask</c>,
/// <c>{prefix}TokenTypeIds</c> and <c>{prefix}WordIds</c> (-1 for special tokens), all Int32 vectors. Saves the
/// tokenizer files inside the model zip. Created by <c>mlContext.Transforms.Text.TokenizeForTransformer</c>.
/// </summary>
public sealed class TokenizeTransformer : ZipPersistedTransformer, IZipPersistedLoadable<TokenizeTransformer>
{
    public sealed record Settings(string InputColumn, string? SecondInputColumn, string OutputPrefix, int MaxLength, TruncationStrategy Truncation);

    readonly IReadOnlyDictionary<string, byte[]> files;

    internal TokenizeTransformer(IHostEnvironment env, Settings settings, IReadOnlyDictionary<string, byte[]> files) : base(env, "TokenizeForTransformer")
    {
        Options = settings; this.files = files;
        Tokenizer = TransformerTokenizer.FromFiles(files, "model zip tokenizer");
    }

    public Settings Options { get; }
    public TransformerTokenizer Tokenizer { get; }
    public static readonly string[] OutputNames = { "InputIds", "AttentionMask", "TokenTypeIds", "WordIds" };

    private protected override IBatchScorer CreateScorer(DataViewSchema inputSchema)
    {
        ScoringInputs.Require(inputSchema, Options.InputColumn, TextDataViewType.Instance);
        if (Options.SecondInputColumn is { } second) ScoringInputs.Require(inputSchema, second, TextDataViewType.Instance);
        return new Scorer(this);
    }

    private protected override void SavePayload(ZipPayloadWriter payload)
    {
        payload.AddJson("tokenize.json", Options);
        foreach (var (name, bytes) in files) payload.AddBytes("tokenizer/" + name, bytes);
    }

    static TokenizeTransformer IZipPersistedLoadable<TokenizeTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload) =>
        new(env, payload.ReadJson<Settings>("tokenize.json"), payload.EntryNames.Where(n => n.StartsWith("tokenizer/", StringComparison.Ordinal))
            .ToDictionary(n => n["tokenizer/".Length..], n => payload.ReadBytes(n).ToArray()));

    /// <summary>Tokenizes a batch of rows into the four Int32 vector columns.</summary>
    sealed class Scorer(TokenizeTransformer parent) : IBatchScorer
    {
        public IReadOnlyList<string> InputColumnNames { get; } = parent.Options.SecondInputColumn is { } second
            ? [parent.Options.InputColumn, second] : [parent.Options.InputColumn];

        public IReadOnlyList<ScoredColumn> OutputColumns { get; } =
            OutputNames.Select(n => new ScoredColumn(parent.Options.OutputPrefix + n, new VectorDataViewType(NumberDataViewType.Int32))).ToArray();

        public int BatchSize => 64;

        public Array[] Score(IReadOnlyList<object?[]> inputs)
        {
            int rows = inputs[0].Length;
            var columns = OutputNames.Select(_ => new VBuffer<int>[rows]).ToArray();
            for (int r = 0; r < rows; r++)
            {
                var e = parent.Tokenizer.Encode(inputs[0][r] as string ?? "", inputs.Count > 1 ? inputs[1][r] as string ?? "" : null,
                    parent.Options.MaxLength, parent.Options.Truncation);
                int[][] values = [e.InputIds, e.AttentionMask, e.TokenTypeIds, e.WordIds.Select(w => w ?? -1).ToArray()];
                for (int c = 0; c < values.Length; c++) columns[c][r] = new VBuffer<int>(values[c].Length, values[c]);
            }
            return columns;
        }
    }
}

/// <summary>Creates <see cref="TokenizeTransformer"/> (nothing to learn: Fit only checks the schema).</summary>
public sealed class TokenizeEstimator : IEstimator<TokenizeTransformer>
{
    readonly IHostEnvironment env;
    readonly TokenizeTransformer.Settings settings;
    readonly string folder;

    public TokenizeEstimator(IHostEnvironment env, string tokenizerFolder, TokenizeTransformer.Settings settings)
    {
        this.env = env; folder = tokenizerFolder; this.settings = settings;
        TransformerTokenizer.FromFolder(folder); // fail now, naming the folder, rather than at Fit
    }

    public TokenizeTransformer Fit(IDataView input)
    {
        GetOutputSchema(SchemaShape.Create(input.Schema));
        var tokenizer = TransformerTokenizer.FromFolder(folder);
        var files = tokenizer.SourceFiles.Where(File.Exists).DistinctBy(Path.GetFileName).ToDictionary(p => Path.GetFileName(p)!, p => Persistence.UserFile.ReadAllBytes(p, "tokenizer file"));
        return new TokenizeTransformer(env, settings, files);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var name in new[] { settings.InputColumn, settings.SecondInputColumn }.OfType<string>())
        {
            if (!inputSchema.TryFindColumn(name, out var col)) throw new ArgumentOutOfRangeException(name, $"Text column '{name}' not found in the input schema.");
            if (col.ItemType is not TextDataViewType || col.Kind != SchemaShape.Column.VectorKind.Scalar)
                throw new ArgumentOutOfRangeException(name, $"Text column '{name}' has type {col.ItemType}; expected String.");
        }
        var result = inputSchema.ToDictionary(c => c.Name);
        foreach (var n in TokenizeTransformer.OutputNames)
            result[settings.OutputPrefix + n] = new SchemaShape.Column(settings.OutputPrefix + n, SchemaShape.Column.VectorKind.VariableVector, NumberDataViewType.Int32, false);
        return new SchemaShape(result.Values);
    }
}

/// <summary>Catalog entry: <c>mlContext.Transforms.Text.TokenizeForTransformer(...)</c>.</summary>
public static class TokenizeCatalog
{
    /// <summary>Tokenizes a text column (or a pair) with a Hugging Face checkpoint's tokenizer, adding InputIds, AttentionMask, TokenTypeIds and WordIds.</summary>
    public static TokenizeEstimator TokenizeForTransformer(this TransformsCatalog.TextTransforms catalog, string tokenizerFolder,
        string inputColumnName = "Text", string? secondInputColumnName = null, string outputPrefix = "", int maxLength = 512,
        TruncationStrategy truncation = TruncationStrategy.LongestFirst) =>
        new(CatalogUtils.GetEnvironment(catalog), tokenizerFolder, new(inputColumnName, secondInputColumnName, outputPrefix, maxLength, truncation));
}
