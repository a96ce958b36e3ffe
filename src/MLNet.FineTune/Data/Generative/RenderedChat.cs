namespace MLNet.FineTune.Data;

/// <summary>
/// A conversation rendered by a <see cref="ChatTemplate"/>: the text the tokenizer reads, and the character spans
/// [Start, End) of <see cref="Text"/> the loss covers (each trained assistant turn's content and its end-of-turn
/// marker; never the role headers, system or user turns).
/// </summary>
internal sealed record RenderedChat(string Text, IReadOnlyList<(int Start, int End)> TrainedSpans);

/// <summary>Builds a <see cref="RenderedChat"/> piece by piece, recording which pieces are trained.</summary>
internal sealed class RenderedChatBuilder
{
    readonly System.Text.StringBuilder text = new();
    readonly List<(int Start, int End)> spans = [];

    public int Length => text.Length;

    public RenderedChatBuilder Append(string piece, bool trained = false)
    {
        if (trained && piece.Length > 0)
        {
            // Adjacent trained pieces (content then end-of-turn) form one span.
            if (spans.Count > 0 && spans[^1].End == text.Length) spans[^1] = (spans[^1].Start, text.Length + piece.Length);
            else spans.Add((text.Length, text.Length + piece.Length));
        }
        text.Append(piece);
        return this;
    }

    public RenderedChat Build() => new(text.ToString(), [.. spans]);
}
