using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>A subclass whose assembly does not declare it loadable: construction must fail loudly.</summary>
public sealed class UndeclaredTransformer(IHostEnvironment env) : ZipPersistedTransformer(env, "Undeclared"), IZipPersistedLoadable<UndeclaredTransformer>
{
    public static UndeclaredTransformer Load(IHostEnvironment env, ZipPayloadReader payload) => new(env);

    protected override ZipPersistedRowMapper CreateRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();

    protected override void SavePayload(ZipPayloadWriter payload) { }
}
