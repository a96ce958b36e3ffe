namespace MLNet.FineTune.Data;

/// <summary>One sentence of a CoNLL-style file: its words, their tags and where they came from.</summary>
/// <param name="Words">The words (token column), in order.</param>
/// <param name="Tags">One tag per word (tag column), e.g. <c>B-PER</c>.</param>
/// <param name="LineNumbers">1-based source line of each word.</param>
/// <param name="DocumentIndex">0-based index of the <c>-DOCSTART-</c> document it belongs to; 0 in files without them.</param>
public sealed record ConllSentence(string[] Words, string[] Tags, int[] LineNumbers, int DocumentIndex = 0)
{
    /// <summary>The words joined by single spaces (the <c>Text</c> column of <see cref="ConllDataView"/>).</summary>
    public string Text => string.Join(' ', Words);
}
