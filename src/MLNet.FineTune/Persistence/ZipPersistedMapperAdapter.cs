using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Persistence;

/// <summary>
/// Adapts a public <see cref="ZipPersistedRowMapper"/> to ML.NET's internal IRowMapper, which RowToRowMapperTransform
/// turns into lazy cursors, column hiding, prediction engines and GetRowToRowMapper.
/// </summary>
internal sealed class ZipPersistedMapperAdapter(ZipPersistedTransformer transformer, ZipPersistedRowMapper mapper) : IRowMapper
{
    readonly DataViewSchema.DetachedColumn[] outputs = mapper.GetOutputColumns().ToArray();

    public DataViewSchema.DetachedColumn[] GetOutputColumns() => outputs;

    public Func<int, bool> GetDependencies(Func<int, bool> activeOutput)
    {
        bool anyActive = Enumerable.Range(0, outputs.Length).Any(activeOutput);
        var needed = anyActive ? mapper.GetInputColumns().Select(c => c.Index).ToHashSet() : new HashSet<int>();
        return needed.Contains;
    }

    public Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action? disposer)
    {
        var getters = new Delegate[outputs.Length];
        var disposers = new List<Action>();
        for (int i = 0; i < outputs.Length; i++)
        {
            if (!activeOutput(i)) continue;
            getters[i] = mapper.MakeGetterFor(input, i, out var dispose);
            if (dispose != null) disposers.Add(dispose);
        }
        disposer = disposers.Count == 0 ? null : () => disposers.ForEach(d => d());
        return getters;
    }

    public ITransformer GetTransformer() => transformer;

    // Saving the mapper alone (e.g. inside a saved IDataView) saves the whole transformer, as ML.NET's own mappers do.
    public void Save(ModelSaveContext ctx) => transformer.SaveModel(ctx);
}
