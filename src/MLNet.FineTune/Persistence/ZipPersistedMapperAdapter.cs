using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Adapts a public <see cref="ZipPersistedRowMapper"/> to ML.NET's internal RowToRowTransformerBase.MapperBase,
/// which gives us lazy cursors, column hiding, prediction engines and GetRowToRowMapper for free.
/// </summary>
internal sealed class ZipPersistedMapperAdapter : RowToRowTransformerBase.MapperBase
{
    readonly ZipPersistedTransformer _transformer;
    readonly ZipPersistedRowMapper _mapper;

    internal ZipPersistedMapperAdapter(IHost host, DataViewSchema inputSchema, ZipPersistedTransformer parent, ZipPersistedRowMapper mapper)
        : base(host, inputSchema, parent)
        => (_transformer, _mapper) = (parent, mapper);

    protected override DataViewSchema.DetachedColumn[] GetOutputColumnsCore() => _mapper.OutputColumns.ToArray();

    protected override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer)
    {
        var getter = _mapper.MakeGetter(input, iinfo, out var dispose);
        // MapperBase invokes every disposer once any is non-null, so never hand it a null next to a real one.
        disposer = dispose ?? (() => { });
        return getter;
    }

    public override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput)
    {
        int outputs = _mapper.OutputColumns.Count;
        bool anyActive = Enumerable.Range(0, outputs).Any(activeOutput);
        var needed = anyActive ? _mapper.InputColumns.Select(c => c.Index).ToHashSet() : new HashSet<int>();
        return needed.Contains;
    }

    // Saving the mapper alone (e.g. as part of a saved IDataView) saves the whole transformer, as ML.NET's own mappers do.
    public override void SaveModel(ModelSaveContext ctx) => _transformer.SaveModel(ctx);
}
