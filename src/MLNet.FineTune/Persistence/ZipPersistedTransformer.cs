using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Scoring;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Base for MLNet.FineTune transformers that add columns and persist themselves inside an ML.NET model .zip
/// (<c>mlContext.Model.Save</c> / <c>Load</c>), with no registration call before loading.
/// <para>A subclass supplies three things:</para>
/// <list type="number">
/// <item><see cref="CreateScorer"/>: an <see cref="IBatchScorer"/> bound to an input schema (input columns checked, output columns, a batch scoring function).</item>
/// <item><see cref="SavePayload"/>: named binary entries (tokenizer files, config.json, safetensors weights, JSON).</item>
/// <item><c>static TSelf Load(IHostEnvironment, ZipPayloadReader)</c> via <see cref="IZipPersistedLoadable{TSelf}"/>.</item>
/// </list>
/// and its assembly declares <c>[assembly: ZipPersistedTransformer(typeof(TSelf), PayloadVersion = n)]</c>.
/// <para>
/// Saved form: one ML.NET model stream (signature "MLNFTZIP", loader <see cref="ZipPersistedTransformerLoader.LoaderSignature"/>
/// in MLNet.FineTune) holding the header documented on <see cref="PayloadManifest"/>, plus one zip entry
/// "Payload/&lt;name&gt;" per payload entry. ML.NET's own version info stays fixed; format changes are versioned in
/// our header (container version) and by the subclass (payload version), each with a specific error when too new.
/// </para>
/// Rows are mapped by the one mechanism in Scoring/: Transform returns a lazy <see cref="BatchedScoringDataView"/>
/// (<see cref="IBatchScorer.BatchSize"/> rows per call), PredictionEngine uses a <see cref="ScoringRowMapper"/>.
/// Only MLNet.FineTune (and its test assembly) derive from this class: its extension points are private protected.
/// </summary>
public abstract class ZipPersistedTransformer : ITransformer
{
    readonly IHost host;

    /// <summary>Creates the transformer; <paramref name="registrationName"/> names its ML.NET host (logs, errors).</summary>
    private protected ZipPersistedTransformer(IHostEnvironment env, string registrationName)
    {
        this.host = RegisterHost(env, registrationName);
        if (ZipPersistedTransformerAttribute.Find(GetType()) is null)
            throw new InvalidOperationException(MissingDeclaration(GetType()));
    }

    /// <summary>This transformer's ML.NET host: use it for argument checks, exceptions and logging.</summary>
    private protected IHost Host => this.host;

    /// <summary>The scorer for <paramref name="inputSchema"/>; throws naming the column, the expected and the actual type when an input is missing or wrong.</summary>
    private protected abstract IBatchScorer CreateScorer(DataViewSchema inputSchema);

    /// <summary>Writes this transformer's state as named entries. Called once per save.</summary>
    private protected abstract void SavePayload(ZipPayloadWriter payload);

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        this.host.CheckValue(inputSchema, nameof(inputSchema));
        return ScoringSchema.Build(inputSchema, CreateScorer(inputSchema).OutputColumns);
    }

    /// <inheritdoc/>
    /// <remarks>Lazy: rows are scored in batches as a cursor reaches them, and only when an output column is read.</remarks>
    public IDataView Transform(IDataView input)
    {
        this.host.CheckValue(input, nameof(input));
        return new BatchedScoringDataView(input, CreateScorer(input.Schema));
    }

    bool ITransformer.IsRowToRowMapper => true;

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema) => CreateRowToRowMapper(inputSchema);

    /// <summary>The mapper behind PredictionEngine: one row per call.</summary>
    IRowToRowMapper CreateRowToRowMapper(DataViewSchema inputSchema)
    {
        this.host.CheckValue(inputSchema, nameof(inputSchema));
        return new ScoringRowMapper(inputSchema, CreateScorer(inputSchema));
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveModel(ctx);

    internal void SaveModel(ModelSaveContext ctx)
    {
        this.host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(ZipPersistedTransformerLoader.GetVersionInfo());
        var type = GetType();
        var declaration = ZipPersistedTransformerAttribute.Find(type)!;
        var payload = new ZipPayloadWriter(ctx);
        SavePayload(payload);
        new PayloadManifest(type.Assembly.GetName().Name!, type.FullName!, declaration.PayloadVersion, payload.Entries)
            .Write(ctx.Writer);
    }

    static IHost RegisterHost(IHostEnvironment env, string registrationName)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrWhiteSpace(registrationName);
        return env.Register(registrationName);
    }

    internal static string MissingDeclaration(Type type)
        => $"{type.FullName} must be declared loadable in its assembly: [assembly: {nameof(ZipPersistedTransformerAttribute)[..^9]}(typeof({type.Name}))].";
}
