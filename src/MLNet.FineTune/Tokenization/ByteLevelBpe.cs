using System.Text;
using MLNet.FineTune.Persistence;

namespace MLNet.FineTune.Tokenization;

/// <summary>
/// GPT-2 byte-level BPE (HF <c>GPT2Tokenizer.bpe</c>): UTF-8 bytes mapped to printable characters
/// (<c>bytes_to_unicode</c>), then the lowest-ranked merge applied everywhere until none applies. Immutable but for a
/// concurrent word cache: safe to share between scoring threads.
/// </summary>
internal sealed class ByteLevelBpe
{
    static readonly char[] ByteToChar = BuildByteToChar();
    static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(x => x.c, x => (byte)x.b);

    readonly Dictionary<string, int> idsByToken;
    readonly Dictionary<int, string> tokensById = [];
    readonly Dictionary<(string, string), int> ranks;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> cache = new(StringComparer.Ordinal);

    public ByteLevelBpe(Dictionary<string, int> vocabulary, Dictionary<(string, string), int> ranks)
    {
        idsByToken = vocabulary;
        foreach (var (token, id) in vocabulary) tokensById[id] = token;
        this.ranks = ranks;
    }

    public int Count => idsByToken.Count == 0 ? 0 : Math.Max(idsByToken.Count, idsByToken.Values.Max() + 1);

    public int? Id(string token) => idsByToken.TryGetValue(token, out int id) ? id : null;

    public string? Token(int id) => tokensById.GetValueOrDefault(id);

    /// <summary>Reads vocab.json (token → id): every id an integer (named by token in the error otherwise).</summary>
    public static Dictionary<string, int> ReadVocabJson(string json, string path)
    {
        var vocab = JsonFields.Parse(json, path, m => new FormatException(m)).AsIntMap();
        if (vocab.FirstOrDefault(kv => kv.Value < 0) is { Key: not null } negative)
            throw new FormatException($"{path}: field '{negative.Key}' is the id {negative.Value}; token ids are >= 0.");
        return vocab;
    }

    /// <summary>
    /// Reads merges.txt like HF's slow tokenizer: the first line (<c>#version</c>) and the text after the last newline are
    /// skipped; every other non-blank line must hold exactly two symbols; rank = order in the file.
    /// </summary>
    public static Dictionary<(string, string), int> ReadMerges(string text, string path)
    {
        var lines = text.Split('\n');
        var merges = new List<(string, string)>();
        for (int i = 1; i < lines.Length - 1; i++)
        {
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            if (parts.Length != 2)
                throw new FormatException($"{path}, line {i + 1}: expected two space-separated symbols (a merge such as 'Ġ t'), got '{lines[i].TrimEnd('\r')}'.");
            merges.Add((parts[0], parts[1]));
        }
        return FromMergeList(merges);
    }

    /// <summary>Ranks by position; a merge listed twice keeps its later rank (Python <c>dict(zip(...))</c>).</summary>
    public static Dictionary<(string, string), int> FromMergeList(IReadOnlyList<(string, string)> merges)
    {
        var ranks = new Dictionary<(string, string), int>();
        for (int i = 0; i < merges.Count; i++) ranks[merges[i]] = i;
        return ranks;
    }

    /// <summary>The byte-level spelling of a string's UTF-8 bytes.</summary>
    public static string ToByteLevel(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The bytes a token spells in the byte alphabet, or null if it has a character outside it.</summary>
    public static byte[]? TryBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
            if (CharToByte.TryGetValue(token[i], out byte b)) bytes[i] = b;
            else return null;
        return bytes;
    }

    /// <summary>UTF-8 text of byte-level tokens; characters outside the byte alphabet are kept as they are.</summary>
    public static string FromByteLevel(IEnumerable<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
            foreach (char c in token)
            {
                if (CharToByte.TryGetValue(c, out byte b)) bytes.Add(b);
                else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        return Encoding.UTF8.GetString([.. bytes]);
    }

    /// <summary>
    /// BPE pieces of one byte-level word, as HF's slow <c>bpe</c> computes them: repeatedly take the lowest-ranked pair
    /// present and merge all its occurrences left to right. A heap of candidate pairs (positions in a linked list of
    /// symbols) makes that O(n log n) instead of a rescan per merge, so a hostile word of a million bytes still ends.
    /// Pairs created by a merge join the heap only after the current rank's occurrences are all merged, as in HF's rounds.
    /// </summary>
    public string[] Merge(string word)
    {
        if (cache.TryGetValue(word, out var cached)) return cached;
        var result = MergeUncached(word);
        // Bounded cache, shared by every scoring thread (hence concurrent); long words are rare and not worth keeping.
        if (word.Length <= MaxCachedWordLength && Volatile.Read(ref cachedWords) < MaxCachedWords && cache.TryAdd(word, result))
            Interlocked.Increment(ref cachedWords);
        return result;
    }

    const int MaxCachedWords = 100_000, MaxCachedWordLength = 256;
    int cachedWords;

    string[] MergeUncached(string word)
    {
        if (word.Length <= 1) return word.Length == 0 ? [] : [word];
        var symbols = new string[word.Length];
        for (int i = 0; i < symbols.Length; i++) symbols[i] = word[i].ToString();
        return [.. MergeSymbols(symbols, ranks).Select(p => p.Symbol)];
    }

    /// <summary>
    /// The merge loop of <see cref="Merge"/> over any initial symbols (characters, or SentencePiece byte-fallback tokens):
    /// the merged symbols with the index of the first initial symbol each covers. <paramref name="symbols"/> is overwritten.
    /// </summary>
    internal static List<(string Symbol, int First)> MergeSymbols(string[] symbols, Dictionary<(string, string), int> ranks)
    {
        int n = symbols.Length;
        var result = new List<(string, int)>();
        if (n == 0) return result;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        var heap = new PriorityQueue<(int Left, string First, string Second), long>();
        void Candidate(int left, List<(int, string, string, long)>? pending)
        {
            int right = next[left];
            if (right < 0 || !ranks.TryGetValue((symbols[left], symbols[right]), out int rank)) return;
            long priority = ((long)rank << 32) | (uint)left; // lowest rank first, then leftmost
            if (pending is null) heap.Enqueue((left, symbols[left], symbols[right]), priority);
            else pending.Add((left, symbols[left], symbols[right], priority));
        }
        for (int i = 0; i + 1 < n; i++) Candidate(i, null);
        var created = new List<(int Left, string First, string Second, long Priority)>();
        long round = -1;
        while (true)
        {
            if (created.Count > 0 && (!heap.TryPeek(out _, out long top) || top >> 32 != round))
            {
                foreach (var (left, first, second, priority) in created) heap.Enqueue((left, first, second), priority);
                created.Clear();
            }
            if (!heap.TryDequeue(out var pair, out long rankAndPosition)) break;
            round = rankAndPosition >> 32;
            int l = pair.Left, r = next[l];
            if (r < 0 || symbols[l] != pair.First || symbols[r] != pair.Second) continue; // stale: a neighbour was merged since
            symbols[l] = pair.First + pair.Second;
            symbols[r] = null!;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) Candidate(prev[l], created);
            Candidate(l, created);
        }
        for (int i = 0; i >= 0; i = next[i]) result.Add((symbols[i], i));
        return result;
    }

    static char[] BuildByteToChar()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }
}
