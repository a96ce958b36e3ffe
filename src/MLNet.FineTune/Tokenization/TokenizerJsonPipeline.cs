using System.Text;
using System.Text.RegularExpressions;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// The normalizer, pre-tokenizer and decoder of a <c>tokenizer.json</c>, as Hugging Face's Rust <c>tokenizers</c> runs
/// them, for the BPE tokenizers of the Llama family: SentencePiece-style (normalizer Prepend "▁" + Replace " " → "▁", or a
/// Metaspace pre-tokenizer; decoder Replace/ByteFallback/Fuse/Strip) and byte-level (Split by a regex, then ByteLevel;
/// decoder ByteLevel). Any other component type is refused by name when the file is read, never skipped.
/// </summary>
internal sealed class TokenizerJsonPipeline
{
    public const string Supported = "normalizers Sequence, Prepend, Replace (string pattern), NFC, NFD, NFKC, NFKD; " +
        "pre-tokenizers Sequence, Metaspace, Split (Isolated, Removed, MergedWithPrevious, MergedWithNext), ByteLevel (last); " +
        "decoders Sequence, Replace (string pattern), ByteFallback, Fuse, Strip, Metaspace, ByteLevel";

    readonly List<Func<AlignedText, AlignedText>> normalizers = [];
    readonly List<Func<AlignedText, IEnumerable<AlignedText>>> preTokenizers = [];
    readonly List<Func<List<string>, List<string>>> decoders = [];
    readonly string path;

    TokenizerJsonPipeline(string path) => this.path = path;

    /// <summary>Whether the words are byte-level spelled before BPE (a ByteLevel pre-tokenizer).</summary>
    public bool ByteLevel { get; private set; }

    /// <summary>Whether a normalizer changes the text (then <c>normalized: true</c> added tokens are matched in the normalized text).</summary>
    public bool HasNormalizer => normalizers.Count > 0;

    public static TokenizerJsonPipeline Read(JsonFields root, string path)
    {
        var pipeline = new TokenizerJsonPipeline(path);
        if (root.Object("normalizer") is { } n) pipeline.AddNormalizer(n);
        if (root.Object("pre_tokenizer") is { } p) pipeline.AddPreTokenizer(p);
        if (root.Object("decoder") is { } d) pipeline.AddDecoder(d);
        return pipeline;
    }

    public AlignedText Normalize(AlignedText text)
    {
        foreach (var step in normalizers) text = step(text);
        return text;
    }

    /// <summary>The words BPE runs on (HF drops empty ones).</summary>
    public List<AlignedText> PreTokenize(AlignedText text)
    {
        var pieces = new List<AlignedText> { text };
        foreach (var step in preTokenizers) pieces = [.. pieces.SelectMany(step)];
        pieces.RemoveAll(p => p.Length == 0);
        return pieces;
    }

    /// <summary>Tokens → text through the decoder chain; without a decoder, HF joins the tokens with spaces.</summary>
    public string Decode(IReadOnlyList<string> tokens)
    {
        if (decoders.Count == 0) return string.Join(' ', tokens);
        var list = tokens.ToList();
        foreach (var step in decoders) list = step(list);
        return string.Concat(list);
    }

    NotSupportedException Refuse(string component, string type) =>
        new($"'{path}': {component} type '{type}' is not supported for a BPE tokenizer.json (supported: {Supported}).");

    void AddNormalizer(JsonFields n)
    {
        string type = n.RequiredString("type");
        switch (type)
        {
            case "Sequence":
                var list = n.RequiredArray("normalizers");
                for (int i = 0; i < list.Count; i++) AddNormalizer(n.ObjectItem("normalizers", list, i));
                break;
            case "Prepend":
                string prefix = n.RequiredString("prepend");
                normalizers.Add(t => t.Prepend(prefix));
                break;
            case "Replace":
                var (pattern, content) = StringReplace(n, "normalizer");
                normalizers.Add(t => t.Replace(pattern, content));
                break;
            case "NFC": normalizers.Add(t => t.Normalize(NormalizationForm.FormC)); break;
            case "NFD": normalizers.Add(t => t.Normalize(NormalizationForm.FormD)); break;
            case "NFKC": normalizers.Add(t => t.Normalize(NormalizationForm.FormKC)); break;
            case "NFKD": normalizers.Add(t => t.Normalize(NormalizationForm.FormKD)); break;
            default: throw Refuse("normalizer", type);
        }
    }

    (string Pattern, string Content) StringReplace(JsonFields step, string component)
    {
        var pattern = step.RequiredObject("pattern");
        if (pattern.String("String") is not { } literal)
            throw new NotSupportedException($"'{path}': {component} Replace with a {string.Join(", ", pattern.Fields.Select(f => f.Key))} pattern is not supported (only a String pattern).");
        return (literal, step.RequiredString("content"));
    }

    void AddPreTokenizer(JsonFields p)
    {
        string type = p.RequiredString("type");
        if (ByteLevel) throw new NotSupportedException($"'{path}': pre-tokenizer '{type}' after ByteLevel is not supported (ByteLevel must come last).");
        switch (type)
        {
            case "Sequence":
                var list = p.RequiredArray("pretokenizers");
                for (int i = 0; i < list.Count; i++) AddPreTokenizer(p.ObjectItem("pretokenizers", list, i));
                break;
            case "Metaspace":
                AddMetaspace(p);
                break;
            case "Split":
                if (p.Bool("invert") == true) throw new NotSupportedException($"'{path}': pre-tokenizer Split with invert: true is not supported.");
                var pattern = p.RequiredObject("pattern");
                var regex = pattern.String("Regex") is { } r ? CodePointRegex.Compile(r, path)
                    : pattern.String("String") is { } s ? CodePointRegex.Compile(Regex.Escape(s), path)
                    : throw pattern.WrongType("Regex", "a Regex or String pattern", pattern.Raw("Regex"));
                string behavior = p.RequiredString("behavior");
                if (behavior is not ("Isolated" or "Removed" or "MergedWithPrevious" or "MergedWithNext"))
                    throw new NotSupportedException($"'{path}': pre-tokenizer Split behavior '{behavior}' is not supported (Isolated, Removed, MergedWithPrevious, MergedWithNext).");
                preTokenizers.Add(t => SplitText(t, CodePointRegex.Matches(regex, t.Text), behavior));
                break;
            case "ByteLevel":
                bool addPrefixSpace = p.Bool("add_prefix_space") ?? true, useRegex = p.Bool("use_regex") ?? true;
                preTokenizers.Add(t =>
                {
                    if (addPrefixSpace && !t.Text.StartsWith(' ')) t = t.Prepend(" ");
                    return useRegex ? Gpt2PreTokenizer.Split(t.Text, 0, t.Length).Select(c => t.Slice(c.Start, c.End)) : [t];
                });
                ByteLevel = true;
                break;
            default: throw Refuse("pre-tokenizer", type);
        }
    }

    void AddMetaspace(JsonFields p)
    {
        string replacement = MetaspaceReplacement(p);
        string scheme = MetaspaceScheme(p);
        bool split = p.Bool("split") ?? true;
        preTokenizers.Add(t =>
        {
            t = t.Replace(" ", replacement);
            bool prepend = scheme == "always" || scheme == "first" && t.OriginalStart == 0;
            if (prepend && !t.Text.StartsWith(replacement, StringComparison.Ordinal)) t = t.Prepend(replacement);
            if (!split) return [t];
            var matches = new List<(int, int)>();
            for (int i = t.Text.IndexOf(replacement, StringComparison.Ordinal); i >= 0; i = t.Text.IndexOf(replacement, i + 1, StringComparison.Ordinal))
                matches.Add((i, i + 1));
            return SplitText(t, matches, "MergedWithNext");
        });
    }

    string MetaspaceReplacement(JsonFields p)
    {
        string replacement = p.RequiredString("replacement");
        return replacement.Length == 1 ? replacement : throw p.Error("replacement", $"should be one character, got '{replacement}'.");
    }

    /// <summary><c>prepend_scheme</c> (always, first, never), or the older <c>add_prefix_space</c> (true = always).</summary>
    string MetaspaceScheme(JsonFields p)
    {
        string scheme = p.String("prepend_scheme") ?? (p.Bool("add_prefix_space") ?? true ? "always" : "never");
        return scheme is "always" or "first" or "never" ? scheme : throw p.Error("prepend_scheme", $"is '{scheme}'; expected always, first or never.");
    }

    /// <summary>HF <c>NormalizedString::split</c> with a delimiter behavior over (start, end) matches; empty pieces are dropped later.</summary>
    static List<AlignedText> SplitText(AlignedText text, List<(int Start, int End)> matches, string behavior)
    {
        var parts = new List<(int Start, int End, bool Match)>();
        int previous = 0;
        foreach (var (start, end) in matches)
        {
            if (start > previous) parts.Add((previous, start, false));
            parts.Add((start, end, true));
            previous = end;
        }
        if (previous < text.Length) parts.Add((previous, text.Length, false));

        var kept = new List<(int Start, int End)>();
        bool previousMatch = false;
        switch (behavior)
        {
            case "Isolated": kept.AddRange(parts.Select(x => (x.Start, x.End))); break;
            case "Removed": kept.AddRange(parts.Where(x => !x.Match).Select(x => (x.Start, x.End))); break;
            case "MergedWithPrevious":
                foreach (var x in parts)
                {
                    if (x.Match && !previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, x.End);
                    else kept.Add((x.Start, x.End));
                    previousMatch = x.Match;
                }
                break;
            default: // MergedWithNext: the same from the right
                for (int i = parts.Count - 1; i >= 0; i--)
                {
                    var x = parts[i];
                    if (x.Match && !previousMatch && kept.Count > 0) kept[^1] = (x.Start, kept[^1].End);
                    else kept.Add((x.Start, x.End));
                    previousMatch = x.Match;
                }
                kept.Reverse();
                break;
        }
        return [.. kept.Where(k => k.End > k.Start).Select(k => text.Slice(k.Start, k.End))];
    }

    void AddDecoder(JsonFields d)
    {
        string type = d.RequiredString("type");
        switch (type)
        {
            case "Sequence":
                var list = d.RequiredArray("decoders");
                for (int i = 0; i < list.Count; i++) AddDecoder(d.ObjectItem("decoders", list, i));
                break;
            case "Replace":
                var (pattern, content) = StringReplace(d, "decoder");
                decoders.Add(tokens => tokens.ConvertAll(t => t.Replace(pattern, content, StringComparison.Ordinal)));
                break;
            case "ByteFallback": decoders.Add(ByteFallback); break;
            case "Fuse": decoders.Add(tokens => [string.Concat(tokens)]); break;
            case "Strip":
                string strip = d.RequiredString("content");
                if (strip.Length != 1) throw d.Error("content", $"should be one character, got '{strip}'.");
                int start = d.RequiredInt("start"), stop = d.RequiredInt("stop");
                decoders.Add(tokens => tokens.ConvertAll(t => Strip(t, strip[0], start, stop)));
                break;
            case "Metaspace":
                string replacement = MetaspaceReplacement(d);
                bool stripFirst = MetaspaceScheme(d) != "never";
                // HF: every "▁" becomes a space, except in the first token, where they are dropped unless the scheme is never.
                decoders.Add(tokens => [.. tokens.Select((t, i) => t.Replace(replacement, i == 0 && stripFirst ? "" : " ", StringComparison.Ordinal))]);
                break;
            case "ByteLevel":
                decoders.Add(tokens => [ByteLevelText(tokens)]);
                break;
            default: throw Refuse("decoder", type);
        }
    }

    /// <summary>HF ByteFallback: runs of <c>&lt;0xNN&gt;</c> tokens become their UTF-8 text, or one U+FFFD per byte if invalid.</summary>
    static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            try { result.Add(StrictUtf8.GetString([.. bytes])); }
            catch (DecoderFallbackException) { result.AddRange(Enumerable.Repeat("\uFFFD", bytes.Count)); }
            bytes.Clear();
        }
        foreach (var token in tokens)
        {
            if (ByteToken(token) is byte b) { bytes.Add(b); continue; }
            Flush();
            result.Add(token);
        }
        Flush();
        return result;
    }

    static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>The byte of a <c>&lt;0xNN&gt;</c> token (six characters, hex digits either case), else null.</summary>
    public static byte? ByteToken(string token) =>
        token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
        && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b) ? b : null;

    static string Strip(string token, char c, int start, int stop)
    {
        int from = 0, to = token.Length;
        while (from < Math.Min(start, token.Length) && token[from] == c) from++;
        while (token.Length - to < stop && to > from && token[to - 1] == c) to--;
        return token[from..to];
    }

    /// <summary>HF ByteLevel decoder: a token spelled in the byte alphabet gives its bytes, any other token its UTF-8; invalid UTF-8 → U+FFFD.</summary>
    static string ByteLevelText(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
            if (ByteLevelBpe.TryBytes(token) is { } b) bytes.AddRange(b);
            else bytes.AddRange(Encoding.UTF8.GetBytes(token));
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
