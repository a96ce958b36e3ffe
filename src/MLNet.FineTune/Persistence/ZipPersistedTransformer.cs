using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Base for MLNet.FineTune transformers that add columns and persist themselves inside an ML.NET model .zip
/// (<c>mlContext.Model.Save</c> / <c>Load</c>), with no registration call before loading.
/// <para>A subclass supplies three things, all in public types:</para>
/// <list type="number">
/// <item><see cref="CreateRowMapper"/>: a <see cref="ZipPersistedRowMapper"/> for an input schema (columns + getters).</item>
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
/// Implements ITransformer over ML.NET's internal RowToRowMapperTransform, exactly as ML.NET's RowToRowTransformerBase
/// does, but without exposing internal abstract members to subclasses in other assemblies
/// (see docs/design/persistence.md for why and how the internals are pinned).
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

    /// <summary>Binds the row mapper to <paramref name="inputSchema"/>, validating the columns it needs.</summary>
    /// <remarks>Subclasses that override <see cref="Transform"/>, <see cref="GetOutputSchema"/> and <see cref="CreateRowToRowMapper"/> need not implement it.</remarks>
    private protected virtual ZipPersistedRowMapper CreateRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{GetType().Name} scores through its own Transform/CreateRowToRowMapper, not a row mapper.");

    /// <summary>Writes this transformer's state as named entries. Called once per save.</summary>
    private protected abstract void SavePayload(ZipPayloadWriter payload);

    /// <inheritdoc/>
    public virtual DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        this.host.CheckValue(inputSchema, nameof(inputSchema));
        return RowToRowMapperTransform.GetOutputSchema(inputSchema, MakeRowMapper(inputSchema));
    }

    /// <inheritdoc/>
    /// <remarks>Override to score rows in batches (FineTuneTransformer does); the default maps row by row.</remarks>
    public virtual IDataView Transform(IDataView input)
    {
        this.host.CheckValue(input, nameof(input));
        return new RowToRowMapperTransform(this.host, input, MakeRowMapper(input.Schema), MakeRowMapper);
    }

    bool ITransformer.IsRowToRowMapper => true;

    IRowToRowMapper ITransformer.GetRowToRowMapper(DataViewSchema inputSchema) => CreateRowToRowMapper(inputSchema);

    /// <summary>The mapper behind PredictionEngine; the default wraps <see cref="CreateRowMapper"/>.</summary>
    private protected virtual IRowToRowMapper CreateRowToRowMapper(DataViewSchema inputSchema)
    {
        this.host.CheckValue(inputSchema, nameof(inputSchema));
        return new RowToRowMapperTransform(this.host, new EmptyDataView(this.host, inputSchema), MakeRowMapper(inputSchema), MakeRowMapper);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => SaveModel(ctx);

    internal IRowMapper MakeRowMapper(DataViewSchema schema) => new ZipPersistedMapperAdapter(this, CreateRowMapper(schema));

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
