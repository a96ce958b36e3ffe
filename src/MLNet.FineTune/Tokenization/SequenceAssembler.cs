namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Truncation and special-token assembly, following transformers 4.40 <c>prepare_for_model</c> /
/// <c>truncate_sequences</c> (right-side truncation, no stride).
/// </summary>
internal static class SequenceAssembler
{
    public static EncodedInput Assemble(TransformerTokenizer tokenizer, List<TokenPiece> first, List<TokenPiece>? second,
        int maxLength, TruncationStrategy truncation, bool addSpecialTokens)
    {
        if (!Enum.IsDefined(truncation))
            throw new ArgumentOutOfRangeException(nameof(truncation), truncation, $"Unknown truncation strategy; use one of {string.Join(", ", Enum.GetNames<TruncationStrategy>())}.");
        if (truncation == TruncationStrategy.OnlySecond && second == null)
            throw new ArgumentException("TruncationStrategy.OnlySecond needs a text pair, but only one text was given; use LongestFirst or OnlyFirst for single texts.", nameof(truncation));
        if (truncation != TruncationStrategy.DoNotTruncate && maxLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be positive.");

        var template = tokenizer.Template;
        int specials = addSpecialTokens ? template.Count(second != null) : 0;
        Truncate(first, second, maxLength, truncation, specials);
        return Build(tokenizer, template, first, second, addSpecialTokens);
    }

    static void Truncate(List<TokenPiece> first, List<TokenPiece>? second, int maxLength, TruncationStrategy truncation, int specials)
    {
        int total = first.Count + (second?.Count ?? 0) + specials;
        if (truncation == TruncationStrategy.DoNotTruncate || total <= maxLength) return;
        int remove = total - maxLength;
        if (truncation == TruncationStrategy.OnlyFirst || second == null)
            CutEnd(first, remove, "first", maxLength, specials, truncation);
        else if (truncation == TruncationStrategy.OnlySecond)
            CutEnd(second, remove, "second", maxLength, specials, truncation);
        else
        {
            if (remove > first.Count + second.Count)
                throw new ArgumentException($"Cannot fit a text pair into maxLength {maxLength}: the {specials} special tokens alone need more room.");
            // HF longest_first: one token at a time from the longer sequence; on a tie from the second.
            for (int i = 0; i < remove; i++)
            {
                var from = first.Count > second.Count ? first : second;
                from.RemoveAt(from.Count - 1);
            }
        }
    }

    static void CutEnd(List<TokenPiece> pieces, int remove, string which, int maxLength, int specials, TruncationStrategy truncation)
    {
        // HF logs an error and returns the sequence uncut here; an over-long input would only fail later inside the model.
        if (pieces.Count <= remove)
            throw new ArgumentException($"Cannot truncate to maxLength {maxLength} with {truncation}: {remove} tokens must go but the {which} sequence has only {pieces.Count} ({specials} special tokens are added). Use a larger maxLength or another truncation strategy.");
        pieces.RemoveRange(pieces.Count - remove, remove);
    }

    static EncodedInput Build(TransformerTokenizer tokenizer, SpecialTokenTemplate template, List<TokenPiece> first,
        List<TokenPiece>? second, bool addSpecialTokens)
    {
        var b = new Builder(tokenizer);
        if (addSpecialTokens) b.Specials(template.Prefix, 0);
        b.Pieces(first, 0, 0);
        if (second == null)
        {
            if (addSpecialTokens) b.Specials(template.SingleSuffix, 0);
        }
        else
        {
            int secondType = addSpecialTokens ? template.SecondTypeId : 0;
            if (addSpecialTokens) b.Specials(template.PairMiddle, 0);
            b.Pieces(second, 1, secondType);
            if (addSpecialTokens) b.Specials(template.PairSuffix, secondType);
        }
        return b.ToEncodedInput();
    }

    public static EncodedInput PadRight(EncodedInput e, int length, int padId, string padToken)
    {
        int n = e.Length;
        if (n >= length) return e;
        static T[] Pad<T>(T[] a, int length, T value) { var r = new T[length]; a.CopyTo(r, 0); Array.Fill(r, value, a.Length, length - a.Length); return r; }
        return new EncodedInput(Pad(e.InputIds, length, padId), Pad(e.AttentionMask, length, 0), Pad(e.TokenTypeIds, length, 0),
            Pad(e.WordIds, length, null), Pad(e.SequenceIds, length, null), Pad(e.Offsets, length, (0, 0)), Pad(e.Tokens, length, padToken));
    }

    sealed class Builder(TransformerTokenizer tokenizer)
    {
        readonly List<int> ids = [], types = [];
        readonly List<int?> words = [], sequences = [];
        readonly List<(int, int)> offsets = [];
        readonly List<string> tokens = [];

        public void Specials(int[] specialIds, int type)
        {
            foreach (int id in specialIds) Add(id, type, null, null, (0, 0), tokenizer.IdToToken(id) ?? "");
        }

        public void Pieces(List<TokenPiece> pieces, int sequence, int type)
        {
            foreach (var p in pieces) Add(p.Id, type, p.Word, sequence, (p.Start, p.End), p.Token);
        }

        void Add(int id, int type, int? word, int? sequence, (int, int) offset, string token)
        {
            ids.Add(id); types.Add(type); words.Add(word); sequences.Add(sequence); offsets.Add(offset); tokens.Add(token);
        }

        public EncodedInput ToEncodedInput() => new([.. ids], [.. Enumerable.Repeat(1, ids.Count)], [.. types], [.. words],
            [.. sequences], [.. offsets], [.. tokens]);
    }
}
