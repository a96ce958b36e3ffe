using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.FineTune.Benchmarks;

/// <summary>
/// Predictions read out of a scored (lazy) data view through one cursor, so each row is scored exactly once and the
/// elapsed time is the scoring time. Metrics are then computed from these values without scoring again.
/// </summary>
public sealed class ScoredColumns
{
    /// <summary>Predicted tags per row, per token-classification output column read.</summary>
    public Dictionary<string, List<string[]>> Tags { get; } = new();

    /// <summary>Predicted class name per row, per classification (key-typed PredictedLabel) column read.</summary>
    public Dictionary<string, List<string>> Labels { get; } = new();

    /// <summary>Seconds from the first MoveNext to the last row read.</summary>
    public double Seconds { get; private set; }

    /// <summary>Scores <paramref name="texts"/> once and reads the outputs, after a 64-row warm-up so the timing leaves out first-call costs (JIT, buffers).</summary>
    public static ScoredColumns Score(MLContext ml, ITransformer model, IDataView texts, string[] tagColumns, string[] labelColumns)
    {
        Read(model.Transform(ml.Data.TakeRows(texts, 64)), tagColumns, labelColumns);
        return Read(model.Transform(texts), tagColumns, labelColumns);
    }

    /// <summary>Reads every row of <paramref name="tagColumns"/> (text vectors) and <paramref name="labelColumns"/> (keys with KeyValues).</summary>
    public static ScoredColumns Read(IDataView scored, string[] tagColumns, string[] labelColumns)
    {
        var result = new ScoredColumns();
        var columns = tagColumns.Concat(labelColumns).Select(c => scored.Schema[c]).ToArray();
        using var cursor = scored.GetRowCursor(columns);
        var readers = new List<Action>();
        foreach (var name in tagColumns)
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(scored.Schema[name]);
            var values = result.Tags[name] = new List<string[]>();
            VBuffer<ReadOnlyMemory<char>> buffer = default;
            readers.Add(() => { getter(ref buffer); values.Add(buffer.DenseValues().Select(t => t.ToString()).ToArray()); });
        }
        foreach (var name in labelColumns)
        {
            var column = scored.Schema[name];
            VBuffer<ReadOnlyMemory<char>> keyNames = default;
            column.GetKeyValues(ref keyNames);
            var names = keyNames.DenseValues().Select(n => n.ToString()).ToArray();
            var getter = cursor.GetGetter<uint>(column);
            var values = result.Labels[name] = new List<string>();
            uint key = 0;
            readers.Add(() => { getter(ref key); values.Add(key == 0 ? "" : names[key - 1]); });
        }
        var clock = Stopwatch.StartNew();
        while (cursor.MoveNext())
            foreach (var read in readers) read();
        result.Seconds = clock.Elapsed.TotalSeconds;
        return result;
    }
}
