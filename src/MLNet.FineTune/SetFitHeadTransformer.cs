using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Data;
using MLNet.FineTune.Embeddings;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Scoring;

[assembly: ZipPersistedTransformer(typeof(MLNet.FineTune.SetFitHeadTransformer), PayloadVersion = 1, OldestReadablePayloadVersion = 1)]

namespace MLNet.FineTune;

/// <summary>
/// SetFit's differentiable head, fitted (<see cref="SetFitHead.Differentiable"/>): reads the embedding column and adds
/// ML.NET's multiclass columns, <c>Score</c> (softmax of the linear layer's logits ÷ (temperature + 1e-5), one
/// probability per class) and <c>PredictedLabel</c> (the key of the most probable class, with the label's key values).
/// Plain arithmetic on the vectors, no TorchSharp; saved in the model zip as JSON.
/// </summary>
public sealed class SetFitHeadTransformer : ZipPersistedTransformer, IZipPersistedLoadable<SetFitHeadTransformer>
{
    internal sealed record SavedHead(string FeatureColumn, int Classes, int Dimensions, float[] Weight, float[] Bias, double Temperature, LabelKeyValues? KeyValues);

    readonly SavedHead head;
    readonly Scorer scorer;

    internal SetFitHeadTransformer(IHostEnvironment env, string featureColumn, LinearHeadWeights weights, double temperature, LabelKeyValues? keyValues)
        : this(env, new SavedHead(featureColumn, weights.Classes, weights.Dimensions, weights.Weight, weights.Bias, temperature, keyValues)) { }

    SetFitHeadTransformer(IHostEnvironment env, SavedHead head) : base(env, "SetFitHead")
    {
        this.head = head;
        scorer = new Scorer(head);
    }

    /// <summary>The embedding column the head reads.</summary>
    public string FeatureColumnName => head.FeatureColumn;

    /// <summary>Number of classes (the length of <c>Score</c>).</summary>
    public int ClassCount => head.Classes;

    /// <summary>The logits are divided by (this + 1e-5) before the softmax.</summary>
    public double Temperature => head.Temperature;

    /// <summary>A copy of the linear layer's weights, one row of embedding-size floats per class (nn.Linear's layout).</summary>
    public float[][] Weights => Enumerable.Range(0, head.Classes).Select(c => head.Weight.AsSpan(c * head.Dimensions, head.Dimensions).ToArray()).ToArray();

    /// <summary>A copy of the linear layer's bias, one per class.</summary>
    public float[] Bias => head.Bias.ToArray();

    private protected override IBatchScorer CreateScorer(DataViewSchema inputSchema)
    {
        var column = DataViewColumns.Require(inputSchema, head.FeatureColumn, "Embedding");
        if (column.Type is not VectorDataViewType { ItemType: var item, Size: var size } || item != NumberDataViewType.Single || size != head.Dimensions)
            throw new ArgumentOutOfRangeException(head.FeatureColumn, $"Embedding column '{head.FeatureColumn}' has type {column.Type}; the SetFit head expects a vector of {head.Dimensions} Single values.");
        return scorer;
    }

    private protected override void SavePayload(ZipPayloadWriter payload) => payload.AddJson("head.json", head);

    static SetFitHeadTransformer IZipPersistedLoadable<SetFitHeadTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload)
    {
        const string entry = "model zip (head.json)";
        var saved = payload.ReadJson<SavedHead>("head.json");
        if (string.IsNullOrEmpty(saved.FeatureColumn) || saved.Classes < 1 || saved.Dimensions < 1 || saved.Weight is null || saved.Bias is null
            || saved.Weight.Length != (long)saved.Classes * saved.Dimensions || saved.Bias.Length != saved.Classes || !(saved.Temperature > 0))
            throw new ModelPayloadException($"{entry}: the head's shapes do not agree (classes {saved.Classes}, dimensions {saved.Dimensions}, " +
                $"{saved.Weight?.Length ?? 0} weights, {saved.Bias?.Length ?? 0} biases, temperature {saved.Temperature}).");
        saved.KeyValues?.Check(saved.Classes, entry);
        return new SetFitHeadTransformer(env, saved);
    }

    /// <summary>Row by row: Dimensions × Classes multiply-adds, negligible beside the encoder that made the embedding.</summary>
    sealed class Scorer(SavedHead head) : IBatchScorer
    {
        public IReadOnlyList<string> InputColumnNames { get; } = [head.FeatureColumn];

        public IReadOnlyList<ScoredColumn> OutputColumns { get; } =
        [
            new ScoredColumn(DefaultColumnNames.Score, new VectorDataViewType(NumberDataViewType.Single, head.Classes)),
            new ScoredColumn(DefaultColumnNames.PredictedLabel, new KeyDataViewType(typeof(uint), head.Classes), head.KeyValues?.ToAnnotations()),
        ];

        public int BatchSize => 256;

        public Array[] Score(IReadOnlyList<object?[]> inputs)
        {
            var rows = inputs[0];
            var scores = new VBuffer<float>[rows.Length];
            var predicted = new uint[rows.Length];
            for (int r = 0; r < rows.Length; r++)
            {
                var x = rows[r] is VBuffer<float> v ? v.DenseValues().ToArray() : new float[head.Dimensions];
                var p = Probabilities(x);
                scores[r] = new VBuffer<float>(p.Length, p);
                int best = 0;
                for (int c = 1; c < p.Length; c++) if (p[c] > p[best]) best = c;
                predicted[r] = (uint)(best + 1); // ML.NET keys are 1-based (0 = missing)
            }
            return [scores, predicted];
        }

        float[] Probabilities(float[] x)
        {
            int d = head.Dimensions;
            double scale = 1.0 / (head.Temperature + SetFitHeadTraining.TemperatureEpsilon);
            var logits = new double[head.Classes];
            for (int c = 0; c < head.Classes; c++)
            {
                double sum = head.Bias[c];
                for (int j = 0; j < d; j++) sum += (double)head.Weight[c * d + j] * x[j];
                logits[c] = sum * scale;
            }
            double max = logits.Max(), total = 0;
            for (int c = 0; c < logits.Length; c++) total += logits[c] = Math.Exp(logits[c] - max);
            return logits.Select(l => (float)(l / total)).ToArray();
        }
    }
}
