namespace MLNet.FineTune.Training;

/// <summary>An <see cref="IBatchSource{TBatch}"/> over an in-memory list with a collate function.</summary>
/// <example><code>
/// var source = new ListBatchSource&lt;TokenizedExample, MyBatch&gt;(examples, e =&gt; e.Ids.Length,
///     batch =&gt; { var (ids, mask) = DynamicPadding.Pad(batch.Select(e =&gt; e.Ids).ToList(), padId); ... });
/// </code></example>
public sealed class ListBatchSource<TExample, TBatch> : IBatchSource<TBatch>
{
    readonly IReadOnlyList<TExample> _examples;
    readonly Func<TExample, int> _length;
    readonly Func<IReadOnlyList<TExample>, TBatch> _collate;
    readonly Func<TExample, int>? _taskGroup;

    /// <summary>Creates the source.</summary>
    /// <param name="examples">The examples, addressed by position.</param>
    /// <param name="length">Length of an example (for length grouping).</param>
    /// <param name="collate">Builds a batch from examples, in the order given.</param>
    /// <param name="taskGroup">Task group of an example (see <see cref="IBatchSource{TBatch}.GetTaskGroup"/>); null: all 0.</param>
    public ListBatchSource(IReadOnlyList<TExample> examples, Func<TExample, int> length, Func<IReadOnlyList<TExample>, TBatch> collate,
        Func<TExample, int>? taskGroup = null)
    {
        _taskGroup = taskGroup;
        _examples = examples ?? throw new ArgumentNullException(nameof(examples));
        _length = length ?? throw new ArgumentNullException(nameof(length));
        _collate = collate ?? throw new ArgumentNullException(nameof(collate));
    }

    /// <inheritdoc/>
    public int Count => _examples.Count;

    /// <inheritdoc/>
    public int GetLength(int index) => _length(_examples[index]);

    /// <inheritdoc/>
    public int GetTaskGroup(int index) => _taskGroup is null ? 0 : _taskGroup(_examples[index]);

    /// <inheritdoc/>
    public TBatch CreateBatch(IReadOnlyList<int> indices) => _collate(indices.Select(i => _examples[i]).ToArray());
}
