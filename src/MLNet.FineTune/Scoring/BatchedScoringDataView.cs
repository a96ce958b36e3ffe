using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Scoring;

/// <summary>
/// The IDataView a FineTune transformer returns. Output columns are computed lazily, <see cref="IBatchScorer.BatchSize"/>
/// rows per encoder call: a look-ahead cursor reads the next rows' texts and scores them together, while the main
/// cursor serves the pass-through columns row by row. Nothing is computed when no output column is requested.
/// </summary>
internal sealed class BatchedScoringDataView : IDataView
{
    readonly IDataView input;
    readonly IBatchScorer scorer;
    readonly int inputColumnCount;

    public BatchedScoringDataView(IDataView input, IBatchScorer scorer)
    {
        this.input = input; this.scorer = scorer;
        inputColumnCount = input.Schema.Count;
        Schema = ScoringSchema.Build(input.Schema, scorer.OutputColumns);
    }

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        bool anyOutput = needed.Any(i => i >= inputColumnCount);
        var inputColumns = scorer.InputColumnNames.Select(n => input.Schema[n]).ToArray();
        var passThrough = input.Schema.Where(c => needed.Contains(c.Index)).ToList();
        var main = input.GetRowCursor(passThrough);
        var lookahead = anyOutput ? input.GetRowCursor(inputColumns) : null;
        return new Cursor(this, main, lookahead, inputColumns, needed);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    sealed class Cursor : DataViewRowCursor
    {
        readonly BatchedScoringDataView parent;
        readonly DataViewRowCursor main;
        readonly DataViewRowCursor? lookahead;
        readonly Func<object?>[] readers;
        readonly HashSet<int> active;
        Array[] batch = Array.Empty<Array>();
        int batchRows, indexInBatch = -1;
        long position = -1;

        public Cursor(BatchedScoringDataView parent, DataViewRowCursor main, DataViewRowCursor? lookahead, DataViewSchema.Column[] inputColumns, HashSet<int> active)
        {
            this.parent = parent; this.main = main; this.lookahead = lookahead; this.active = active;
            readers = lookahead == null ? [] : inputColumns.Select(c => InputValueReader.Create(lookahead, c)).ToArray();
        }

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);
        public override ValueGetter<DataViewRowId> GetIdGetter() => main.GetIdGetter();

        public override bool MoveNext()
        {
            if (!main.MoveNext()) return false;
            position++;
            if (lookahead != null && ++indexInBatch >= batchRows) FillBatch();
            return true;
        }

        void FillBatch()
        {
            int size = parent.scorer.BatchSize;
            var values = readers.Select(_ => new List<object?>(size)).ToArray();
            int rows = 0;
            while (rows < size && lookahead!.MoveNext())
            {
                for (int i = 0; i < readers.Length; i++) values[i].Add(readers[i]());
                rows++;
            }
            batchRows = rows;
            indexInBatch = 0;
            batch = batchRows == 0 ? Array.Empty<Array>() : parent.scorer.Score(values.Select(v => v.ToArray()).ToArray());
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < parent.inputColumnCount) return main.GetGetter<TValue>(main.Schema[column.Index]);
            int output = column.Index - parent.inputColumnCount;
            return (ref TValue value) => OutputValues.Copy(batch[output], indexInBatch, ref value);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) { main.Dispose(); lookahead?.Dispose(); }
            base.Dispose(disposing);
        }
    }
}

/// <summary>Copies one row's value out of a decoded column array into an ML.NET getter's destination.</summary>
internal static class OutputValues
{
    public static void Copy<TValue>(Array column, int row, ref TValue value)
    {
        var item = column.GetValue(row);
        if (item is VBuffer<float> v && value is VBuffer<float> dst) // reuse the caller's buffer, as ML.NET getters do
        {
            v.CopyTo(ref dst);
            value = (TValue)(object)dst;
            return;
        }
        if (item is VBuffer<int> vi && value is VBuffer<int> dsti)
        {
            vi.CopyTo(ref dsti);
            value = (TValue)(object)dsti;
            return;
        }
        if (item is TValue typed) { value = typed; return; }
        throw new InvalidOperationException($"Column value of type {item?.GetType().Name ?? "null"} cannot be read as {typeof(TValue).Name}.");
    }
}
