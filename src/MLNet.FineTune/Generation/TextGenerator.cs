using System.Runtime.CompilerServices;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Modeling.WeightPacking;

namespace MLNet.FineTune.Generation;

/// <summary>
/// Text generation with a causal LM: batched prompts in, new tokens and text out, or one prompt streamed as text
/// pieces. Stop sequences are found in the decoded text (a stop string may span several tokens or end inside one);
/// the text is cut before it. <paramref name="decode"/> turns generated token ids into text (the tokenizer's Decode);
/// without it only token ids are produced and stop sequences are refused.
/// </summary>
internal sealed class TextGenerator(ICausalLanguageModel model, Func<IReadOnlyList<int>, string>? decode = null)
{
    public ICausalLanguageModel Model { get; } = model;

    /// <summary>The decoder's weights in MKL's packed layout, kept across calls: after the prompt, every step multiplies one row per sequence.</summary>
    internal PackedWeightScoring PackedWeights { get; } = new();

    /// <summary>Generates for every prompt (token ids) at once; cancellation ends every row with <see cref="FinishReason.Cancelled"/>.</summary>
    public IReadOnlyList<GeneratedSequence> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, CancellationToken cancellation = default)
    {
        CheckDecode(options);
        using var session = new DecodingSession(Model, prompts, options, PackedWeights);
        var texts = new string?[session.Rows];
        while (!session.AllFinished)
        {
            if (cancellation.IsCancellationRequested)
            {
                for (int r = 0; r < session.Rows; r++) session.Finish(r, FinishReason.Cancelled);
                break;
            }
            var step = session.Step();
            for (int r = 0; r < session.Rows; r++)
                if (step[r] >= 0 && StopAt(session.Generated(r), options) is { } cut) { texts[r] = cut; session.Finish(r, FinishReason.StopSequence); }
        }
        return Enumerable.Range(0, session.Rows).Select(r => new GeneratedSequence(session.Generated(r).ToList(),
            texts[r] ?? decode?.Invoke(session.Generated(r)), session.Reasons[r])).ToList();
    }

    /// <summary>
    /// Generates for one prompt and yields the text as it grows. A piece is held back while it could still be the
    /// start of a stop sequence, or while the last token ends inside a multi-byte character (the decoder shows U+FFFD).
    /// Cancelling the token stops after the current step (the enumeration then ends with OperationCanceledException).
    /// </summary>
    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<int> prompt, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        if (decode is null) throw new InvalidOperationException("Streaming text needs a decoder (the tokenizer's Decode).");
        options.Validate();
        using var session = new DecodingSession(Model, [prompt], options, PackedWeights);
        int shown = 0;
        while (!session.AllFinished)
        {
            cancellation.ThrowIfCancellationRequested();
            await Task.Yield(); // let the consumer and cancellation run between tokens
            var step = session.Step();
            if (step[0] < 0) break;
            var text = decode(session.Generated(0));
            if (StopAt(session.Generated(0), options) is { } cut)
            {
                if (cut.Length > shown) yield return cut[shown..];
                yield break;
            }
            int safe = text.Length - HeldBack(text, options.StopSequences);
            if (safe > shown) { yield return text[shown..safe]; shown = safe; }
        }
        var final = decode(session.Generated(0));
        if (final.Length > shown) yield return final[shown..];
    }

    /// <summary>The generated text cut before the first stop sequence it contains, or null.</summary>
    string? StopAt(IReadOnlyList<int> tokens, GenerationOptions options)
    {
        if (options.StopSequences.Count == 0) return null;
        var text = decode!(tokens);
        int at = options.StopSequences.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
        return at >= 0 ? text[..at] : null;
    }

    /// <summary>How many trailing characters to hold back: an unfinished character, or a suffix that begins a stop sequence.</summary>
    internal static int HeldBack(string text, IReadOnlyList<string> stops)
    {
        int held = text.EndsWith('\uFFFD') ? 1 : 0;
        foreach (var stop in stops)
            for (int n = Math.Min(stop.Length - 1, text.Length); n > held; n--)
                if (text.EndsWith(stop[..n], StringComparison.Ordinal)) { held = n; break; }
        return held;
    }

    void CheckDecode(GenerationOptions options)
    {
        options.Validate();
        if (options.StopSequences.Count > 0 && decode is null)
            throw new InvalidOperationException("GenerationOptions.StopSequences needs a decoder (the tokenizer's Decode) to find them in the text.");
    }
}
