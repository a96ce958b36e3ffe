namespace MLNet.FineTune.Training;

/// <summary>An <see cref="IBatchSource{TBatch}"/> over an in-memory list with a collate function.</summary>
/// <example><code>
/// var source = new ListBatchSource&lt;TokenizedExample, MyBatch&gt;(examples, e =&gt; e.Ids.Length,
///     batch =&gt; TextBatchCollator.Collate(batch.Select(e =&gt; e.Encoding).ToArray(), batch.Select(e =&gt; e.Targets).ToArray(), padId, tokenLevel));
/// </code></example>
internal sealed class ListBatchSource<TExample, TBatch> : IBatchSource<TBatch>
{
    readonly IReadOnlyList<TExample> examples;
    readonly Func<TExample, int> length;
    readonly Func<IReadOnlyList<TExample>, TBatch> collate;
    readonly Func<TExample, int>? taskGroup;

    /// <summary>Creates the source.</summary>
    /// <param name="examples">The examples, addressed by position.</param>
    /// <param name="length">Length of an example (for length grouping).</param>
    /// <param name="collate">Builds a batch from examples, in the order given.</param>
    /// <param name="taskGroup">Task group of an example (see <see cref="IBatchSource{TBatch}.GetTaskGroup"/>); null: all 0.</param>
    /// <param name="fingerprint">Hash of the examples (see <see cref="IBatchSource{TBatch}.Fingerprint"/>); null: not checked on resume.</param>
    public ListBatchSource(IReadOnlyList<TExample> examples, Func<TExample, int> length, Func<IReadOnlyList<TExample>, TBatch> collate,
        Func<TExample, int>? taskGroup = null, string? fingerprint = null)
    {
        Fingerprint = fingerprint;
        this.taskGroup = taskGroup;
        this.examples = examples ?? throw new ArgumentNullException(nameof(examples));
        this.length = length ?? throw new ArgumentNullException(nameof(length));
        this.collate = collate ?? throw new ArgumentNullException(nameof(collate));
    }

    /// <inheritdoc/>
    public int Count => this.examples.Count;

    /// <inheritdoc/>
    public int GetLength(int index) => this.length(this.examples[index]);

    /// <inheritdoc/>
    public string? Fingerprint { get; }

    /// <inheritdoc/>
    public int GetTaskGroup(int index) => this.taskGroup is null ? 0 : this.taskGroup(this.examples[index]);

    /// <inheritdoc/>
    public TBatch CreateBatch(IReadOnlyList<int> indices) => this.collate(indices.Select(i => this.examples[i]).ToArray());
}
