using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;
using MLNet.FineTune.Tests.Persistence;

[assembly: ZipPersistedTransformer(typeof(ScaleTransformer), PayloadVersion = 2, OldestReadablePayloadVersion = 1)]

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>
/// Example <see cref="ZipPersistedTransformer"/> for the persistence tests: adds <c>Output = Input * Factor</c>
/// (float vectors) and carries an opaque binary blob, persisted as config.json + blobs/data.bin.
/// Lives in the test project on purpose: it proves a transformer outside MLNet.FineTune needs only public types.
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

    private protected override ZipPersistedRowMapper CreateRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

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

    sealed class Mapper : ZipPersistedRowMapper
    {
        readonly float _factor;
        readonly DataViewSchema.Column _input;
        readonly DataViewSchema.DetachedColumn _output;

        public Mapper(ScaleTransformer parent, DataViewSchema schema) : base(schema)
        {
            _factor = parent.Settings.Factor;
            _input = RequireVectorColumn(schema, parent.Settings.InputColumn, NumberDataViewType.Single);
            _output = new DataViewSchema.DetachedColumn(parent.Settings.OutputColumn, _input.Type);
        }

        protected override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => [_output];

        protected override IReadOnlyList<DataViewSchema.Column> InputColumns => [_input];

        protected override Delegate MakeGetter(DataViewRow input, int outputIndex, out Action? disposer)
        {
            disposer = null;
            var source = input.GetGetter<VBuffer<float>>(_input);
            var buffer = default(VBuffer<float>);
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                source(ref buffer);
                var dense = buffer.DenseValues().Select(x => x * _factor).ToArray();
                value = new VBuffer<float>(dense.Length, dense);
            };
            return getter;
        }
    }
}
