using MLNet.FineTune.Cli.DataFiles;
using MLNet.FineTune.Data;
using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Cli.Validation;

/// <summary>One bar of the token-length histogram: examples with <see cref="From"/>..<see cref="To"/> tokens (To null: no upper bound).</summary>
internal sealed record LengthBin(int From, int? To, int Count);

/// <summary>Token lengths of a file's examples under one tokenizer, with special tokens, before any truncation.</summary>
internal sealed record TokenLengthReport(string File, string Model, int MaxLength, int Examples, int Max, int Median, int P95, int Truncated, IReadOnlyList<LengthBin> Histogram)
{
    // Powers of two up to 512 (BERT's limit), then one open bin.
    static readonly int[] Edges = [16, 32, 64, 128, 256, 512];

    /// <summary>Measures every example; <see cref="Truncated"/> counts those over <paramref name="maxLength"/>, <paramref name="longLines"/> gets their lines.</summary>
    public static TokenLengthReport Measure(DataFile file, TransformerTokenizer tokenizer, string model, int maxLength, List<int> longLines)
    {
        var lengths = new int[file.Examples.Count];
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = Length(file.Examples[i], tokenizer);
            if (lengths[i] > maxLength) longLines.Add(file.Examples[i].Line);
        }
        var sorted = lengths.Order().ToArray();
        int Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        var bins = new List<LengthBin>();
        int from = 1;
        foreach (var edge in Edges.Append(int.MaxValue))
        {
            int count = lengths.Count(l => l >= from && l <= edge);
            bins.Add(new LengthBin(from, edge == int.MaxValue ? null : edge, count));
            if (edge == int.MaxValue) break;
            from = edge + 1;
        }
        return new(file.Name, model, maxLength, lengths.Length, sorted.LastOrDefault(), Percentile(0.5), Percentile(0.95), longLines.Count, bins);
    }

    // Chats and prompt/completion pairs are measured as their texts joined, without a chat template (an encoder's
    // tokenizer has none); the template adds a few tokens per turn.
    static int Length(JsonlExample e, TransformerTokenizer tokenizer) => e.Format switch
    {
        JsonlFormat.TokensTags => tokenizer.EncodeWords(e.Tokens!, truncation: TruncationStrategy.DoNotTruncate).Length,
        JsonlFormat.Chat => tokenizer.Encode(string.Join("\n", e.Generative!.Turns!.Select(t => t.Content)), truncation: TruncationStrategy.DoNotTruncate).Length,
        JsonlFormat.PromptCompletion => tokenizer.Encode(e.Generative!.Prompt!, e.Generative.Completion, truncation: TruncationStrategy.DoNotTruncate).Length,
        _ => tokenizer.Encode(e.Text!, e.TextPair, truncation: TruncationStrategy.DoNotTruncate).Length,
    };
}
