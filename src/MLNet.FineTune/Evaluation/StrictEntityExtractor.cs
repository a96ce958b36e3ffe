using MLNet.FineTune.Heads.TokenTagging;

namespace MLNet.FineTune.Evaluation;

/// <summary>
/// seqeval's strict mode (<c>seqeval.scheme.Tokens.entities</c>): an entity is a token that matches one of the
/// scheme's start patterns, followed by tokens matching its inside patterns, and counts only if the token after it
/// matches an end pattern. Patterns are (previous prefixes, current prefixes, type condition) tables per scheme.
/// </summary>
internal static class StrictEntityExtractor
{
    enum TypeCondition { Any, Same, Different }

    readonly record struct Pattern(string Previous, string Current, TypeCondition Type);

    sealed record Rules(string Allowed, Pattern[] Start, Pattern[] Inside, Pattern[] End);

    const string AnyPrefix = "IOBESUL";

    static readonly Rules Iob1 = new("IOB",
        [new("O", "I", TypeCondition.Any), new("I", "I", TypeCondition.Different), new("B", "I", TypeCondition.Any),
         new("I", "B", TypeCondition.Same), new("B", "B", TypeCondition.Same)],
        [new("B", "I", TypeCondition.Same), new("I", "I", TypeCondition.Same)],
        [new("I", "I", TypeCondition.Different), new("I", "O", TypeCondition.Any), new("I", "B", TypeCondition.Any),
         new("B", "O", TypeCondition.Any), new("B", "I", TypeCondition.Different), new("B", "B", TypeCondition.Same)]);

    static readonly Rules Iob2 = new("IOB",
        [new(AnyPrefix, "B", TypeCondition.Any)],
        [new("B", "I", TypeCondition.Same), new("I", "I", TypeCondition.Same)],
        [new("I", "O", TypeCondition.Any), new("I", "I", TypeCondition.Different), new("I", "B", TypeCondition.Any),
         new("B", "O", TypeCondition.Any), new("B", "I", TypeCondition.Different), new("B", "B", TypeCondition.Any)]);

    static readonly Rules Bioes = new("IOBES",
        [new(AnyPrefix, "B", TypeCondition.Any), new(AnyPrefix, "S", TypeCondition.Any)],
        [new("B", "I", TypeCondition.Same), new("B", "E", TypeCondition.Same), new("I", "I", TypeCondition.Same),
         new("I", "E", TypeCondition.Same)],
        [new("S", AnyPrefix, TypeCondition.Any), new("E", AnyPrefix, TypeCondition.Any)]);

    /// <summary>Entities of one sentence; chunk ends are exclusive.</summary>
    /// <exception cref="ArgumentException">A tag is empty or has a prefix the scheme does not allow.</exception>
    public static List<TagChunk> Entities(IReadOnlyList<string> tags, TagScheme scheme, int sentenceIndex)
    {
        var rules = scheme switch
        {
            TagScheme.Iob1 => Iob1,
            TagScheme.Iob2 => Iob2,
            TagScheme.Bioes => Bioes,
            _ => throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown tag scheme."),
        };
        // Tokens plus a trailing outside token, which closes an entity that runs to the end.
        var tokens = new (char Prefix, string Type)[tags.Count + 1];
        for (int i = 0; i < tags.Count; i++) tokens[i] = Parse(tags[i], rules, scheme, sentenceIndex, i);
        tokens[^1] = ('O', "_");

        var entities = new List<TagChunk>();
        var prev = ('O', "_");
        int pos = 0;
        while (pos < tokens.Length)
        {
            var token = tokens[pos];
            if (Matches(rules.Start, prev, token))
            {
                int end = pos + 1;
                while (end < tokens.Length && Matches(rules.Inside, tokens[end - 1], tokens[end])) end++;
                // The trailing outside token is never inside, so end always stays within tokens.
                if (Matches(rules.End, tokens[end - 1], tokens[end])) entities.Add(new TagChunk(token.Type, pos, end));
                pos = end;
            }
            else pos++;
            prev = tokens[pos - 1];
        }
        return entities;
    }

    // seqeval's Token: the first character is the prefix, the rest stripped of '-' at both ends is the type ('_' if none).
    static (char, string) Parse(string tag, Rules rules, TagScheme scheme, int sentence, int position)
    {
        if (string.IsNullOrEmpty(tag))
            throw new ArgumentException($"Sentence {sentence}, position {position}: empty tag.");
        if (!rules.Allowed.Contains(tag[0]))
            throw new ArgumentException($"Sentence {sentence}, position {position}: invalid tag '{tag}' for strict {scheme}; " +
                $"allowed prefixes are {string.Join(", ", rules.Allowed.ToCharArray())}.");
        string type = tag[1..].Trim('-');
        return (tag[0], type.Length == 0 ? "_" : type);
    }

    static bool Matches(Pattern[] patterns, (char Prefix, string Type) prev, (char Prefix, string Type) current)
    {
        foreach (var p in patterns)
        {
            if (!p.Previous.Contains(prev.Prefix) || !p.Current.Contains(current.Prefix)) continue;
            bool same = prev.Type == current.Type;
            if (p.Type == TypeCondition.Any || (p.Type == TypeCondition.Same) == same) return true;
        }
        return false;
    }
}
