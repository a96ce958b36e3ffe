using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Scoring;
using MLNet.FineTune.Tests.Persistence;

[assembly: ZipPersistedTransformer(typeof(ScaleTransformer), PayloadVersion = 2, OldestReadablePayloadVersion = 1)]

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>
/// Example <see cref="ZipPersistedTransformer"/> for the persistence tests: adds <c>Output = Input * Factor</c>
/// (float vectors) and carries an opaque binary blob, persisted as config.json + blobs/data.bin.
/// Lives in the test project (a friend assembly): persistence works for a transformer declared outside MLNet.FineTune.
/// </summary>
internal sealed class ScaleTransformer : ZipPersistedTransformer, IZipPersistedLoadable<ScaleTransformer>
{
    /// <summary>What config.json holds.</summary>
    public sealed record Config(string InputColumn, string OutputColumn, float Factor);

    public ScaleTransformer(IHostEnvironment env, string inputColumn, string outputColumn, float factor, byte[] blob)
        : base(env, nameof(ScaleTransformer))
        => (Settings, Blob) = (new Config(inputColumn, outputColumn, factor), blob);

    public Config Settings { get; }

    public byte[] Blob { get; }

    private protected override IBatchScorer CreateScorer(DataViewSchema inputSchema) => new Scorer(this, inputSchema);

    private protected override void SavePayload(ZipPayloadWriter payload)
    {
        payload.AddJson("config.json", Settings);
        payload.AddBytes("blobs/data.bin", Blob);
    }

    static ScaleTransformer IZipPersistedLoadable<ScaleTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload)
    {
        var config = payload.ReadJson<Config>("config.json");
        return new ScaleTransformer(env, config.InputColumn, config.OutputColumn, config.Factor, payload.ReadBytes("blobs/data.bin").ToArray());
    }

    /// <summary>Output = Input * Factor for a batch of rows.</summary>
    sealed class Scorer : IBatchScorer
    {
        readonly float factor;

        public Scorer(ScaleTransformer parent, DataViewSchema schema)
        {
            factor = parent.Settings.Factor;
            var input = ScoringInputs.RequireVector(schema, parent.Settings.InputColumn, NumberDataViewType.Single);
            InputColumnNames = [input.Name];
            OutputColumns = [new ScoredColumn(parent.Settings.OutputColumn, input.Type)];
        }

        public IReadOnlyList<string> InputColumnNames { get; }
        public IReadOnlyList<ScoredColumn> OutputColumns { get; }
        public int BatchSize => 16;

        public Array[] Score(IReadOnlyList<object?[]> inputs) =>
        [
            inputs[0].Select(v =>
            {
                var dense = ((VBuffer<float>)v!).DenseValues().Select(x => x * factor).ToArray();
                return new VBuffer<float>(dense.Length, dense);
            }).ToArray(),
        ];
    }
}
