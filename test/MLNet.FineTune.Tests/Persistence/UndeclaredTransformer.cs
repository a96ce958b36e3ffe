using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tests.Persistence;

/// <summary>A subclass whose assembly does not declare it loadable: construction must fail loudly.</summary>
internal sealed class UndeclaredTransformer(IHostEnvironment env) : ZipPersistedTransformer(env, "Undeclared"), IZipPersistedLoadable<UndeclaredTransformer>
{
    static UndeclaredTransformer IZipPersistedLoadable<UndeclaredTransformer>.Load(IHostEnvironment env, ZipPayloadReader payload) => new(env);

    private protected override MLNet.FineTune.Scoring.IBatchScorer CreateScorer(DataViewSchema inputSchema) => throw new NotSupportedException();

    private protected override void SavePayload(ZipPayloadWriter payload) { }
}
