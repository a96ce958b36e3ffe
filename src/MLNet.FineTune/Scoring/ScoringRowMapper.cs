using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Scoring;

/// <summary>
/// The row-to-row mapper behind <c>CreatePredictionEngine</c>: each call scores one row (a batch of one), computed once
/// per input position and cached, so asking for several output columns runs the encoder once. ML.NET prescribes one
/// PredictionEngine per thread; this mapper holds no state shared between the rows it creates.
/// </summary>
internal sealed class ScoringRowMapper : IRowToRowMapper
{
    readonly IBatchScorer scorer;

    public ScoringRowMapper(DataViewSchema inputSchema, IBatchScorer scorer)
    {
        InputSchema = inputSchema; this.scorer = scorer;
        OutputSchema = ScoringSchema.Build(inputSchema, scorer.OutputColumns);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var cols = dependingColumns.ToList();
        var result = InputSchema.Where(c => cols.Any(d => d.Index == c.Index)).ToList();
        if (cols.Any(c => c.Index >= InputSchema.Count))
            result.AddRange(scorer.InputColumnNames.Select(n => InputSchema[n]).Where(c => result.All(r => r.Index != c.Index)));
        return result;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new Row(this, input, activeColumns.Select(c => c.Index).ToHashSet());

    sealed class Row : DataViewRow
    {
        readonly ScoringRowMapper parent;
        readonly DataViewRow input;
        readonly HashSet<int> active;
        readonly Func<object?>[] readers;
        object?[]? scoredInputs;
        Array[] scored = Array.Empty<Array>();

        public Row(ScoringRowMapper parent, DataViewRow input, HashSet<int> active)
        {
            this.parent = parent; this.input = input; this.active = active;
            readers = parent.scorer.InputColumnNames.Select(n => InputValueReader.Create(input, input.Schema[n])).ToArray();
        }

        public override DataViewSchema Schema => parent.OutputSchema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = parent.InputSchema.Count;
            if (column.Index < inputCount) return input.GetGetter<TValue>(input.Schema[column.Index]);
            int output = column.Index - inputCount;
            return (ref TValue value) =>
            {
                // Cache on the input values themselves, not the position: a PredictionEngine may reuse one input row object.
                var inputs = readers.Select(r => r()).ToArray();
                if (scoredInputs == null || !inputs.Zip(scoredInputs).All(p => InputValueReader.Same(p.First, p.Second)))
                {
                    scored = parent.scorer.Score(inputs.Select(v => new[] { v }).ToArray());
                    scoredInputs = inputs;
                }
                OutputValues.Copy(scored[output], 0, ref value);
            };
        }
    }
}
