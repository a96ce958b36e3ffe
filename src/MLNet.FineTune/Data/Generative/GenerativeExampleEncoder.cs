using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Data;

/// <summary>
/// Encodes <see cref="GenerativeExample"/>s for causal-LM training, and prompts for generation, the same way.
/// <list type="bullet">
/// <item>Prompt/completion: prompt ids (with the tokenizer's own special tokens, e.g. a Llama BOS) + completion ids
/// + EOS, each part tokenized on its own (as hf-decoder/sft.json was built); labels on completion and EOS.</item>
/// <item>Chat: the <see cref="ChatTemplate"/>'s rendering tokenized as one text without added special tokens (HF
/// <c>apply_chat_template(tokenize=True)</c>; a template writes its own BOS). A token is trained when its character
/// span overlaps a trained span of the rendering (what HF's <c>return_assistant_tokens_mask</c> does with the
/// offsets), so the ids are exactly those of the whole rendered text.</item>
/// </list>
/// Safe to share between threads.
/// </summary>
internal sealed class GenerativeExampleEncoder
{
    readonly TransformerTokenizer tokenizer;

    public GenerativeExampleEncoder(TransformerTokenizer tokenizer, ChatTemplate chatTemplate, GenerativeEncodingOptions? options = null)
    {
        this.tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        ChatTemplate = chatTemplate ?? throw new ArgumentNullException(nameof(chatTemplate));
        Options = options ?? new GenerativeEncodingOptions();
        if (Options.MaxLength is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxLength, "MaxLength must be positive (or null for the tokenizer's model_max_length).");
        if (Options.AppendEos && tokenizer.EosTokenId is null)
            throw new ArgumentException("AppendEos is set but the tokenizer has no eos_token; set AppendEos = false or give the checkpoint an eos_token.", nameof(options));
    }

    public ChatTemplate ChatTemplate { get; }

    public GenerativeEncodingOptions Options { get; }

    /// <summary>The effective maximum length in tokens.</summary>
    public int MaxLength => Options.MaxLength ?? tokenizer.MaxLength;

    /// <summary>Ids and labels of one example.</summary>
    /// <exception cref="InvalidDataException">Too long (with <see cref="OverlongExampleHandling.Refuse"/>), or nothing left to train on; the message names the source.</exception>
    public EncodedGenerativeExample Encode(GenerativeExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        var where = example.Source.Length == 0 ? "A generative example" : $"The example at {example.Source}";
        int[] ids;
        bool[] trained;
        try
        {
            (ids, trained) = example.IsChat ? EncodeChat(example.Turns!) : EncodePromptCompletion(example);
        }
        catch (ChatTemplateException e)
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }
        if (ids.Length > MaxLength)
        {
            if (Options.Overlong == OverlongExampleHandling.Refuse)
                throw new InvalidDataException($"{where} is {ids.Length} tokens long, over the maximum length {MaxLength}. Shorten it, raise MaxLength, or truncate over-long examples.");
            ids = ids[..MaxLength];
            trained = trained[..MaxLength];
        }
        bool all = Options.LossTokens == GenerativeLossTokens.AllTokens;
        var labels = new int[ids.Length];
        for (int i = 0; i < ids.Length; i++) labels[i] = all || trained[i] ? ids[i] : EncodedGenerativeExample.IgnoreIndex;
        // The loss predicts token t from tokens before it, so a label on the first token alone trains nothing.
        if (!labels.Skip(1).Any(l => l != EncodedGenerativeExample.IgnoreIndex))
            throw new InvalidDataException($"{where} has no token to train on after encoding ({ids.Length} tokens, maximum {MaxLength}): " +
                "its completion / assistant turns were cut off or are empty. Shorten the prompt or raise MaxLength.");
        return new EncodedGenerativeExample(ids, labels, example.Source);
    }

    /// <summary>All examples, in order.</summary>
    public IReadOnlyList<EncodedGenerativeExample> EncodeAll(IEnumerable<GenerativeExample> examples) =>
        [.. (examples ?? throw new ArgumentNullException(nameof(examples))).Select(Encode)];

    /// <summary>The ids a completion is generated from: the prompt part of a prompt/completion example.</summary>
    public int[] EncodePrompt(string prompt) => Ids(prompt ?? throw new ArgumentNullException(nameof(prompt)), addSpecialTokens: true);

    /// <summary>The ids a chat reply is generated from: the rendering with the generation prompt (HF <c>add_generation_prompt=True</c>).</summary>
    public int[] EncodeChatPrompt(IReadOnlyList<ChatTurn> turns) =>
        Ids(ChatTemplate.Render(turns ?? throw new ArgumentNullException(nameof(turns)), addGenerationPrompt: true).Text, addSpecialTokens: false);

    (int[] Ids, bool[] Trained) EncodePromptCompletion(GenerativeExample example)
    {
        var prompt = EncodePrompt(example.Prompt ?? "");
        var completion = Ids(example.Completion ?? "", addSpecialTokens: false);
        int eos = Options.AppendEos ? 1 : 0;
        var ids = new int[prompt.Length + completion.Length + eos];
        prompt.CopyTo(ids, 0);
        completion.CopyTo(ids, prompt.Length);
        if (eos == 1) ids[^1] = tokenizer.EosTokenId!.Value;
        var trained = new bool[ids.Length];
        Array.Fill(trained, true, prompt.Length, ids.Length - prompt.Length);
        return (ids, trained);
    }

    (int[] Ids, bool[] Trained) EncodeChat(IReadOnlyList<ChatTurn> turns)
    {
        var rendered = ChatTemplate.Render(turns, addGenerationPrompt: false);
        var encoded = tokenizer.Encode(rendered.Text, maxLength: int.MaxValue, truncation: TruncationStrategy.DoNotTruncate, addSpecialTokens: false);
        var trained = new bool[encoded.Length];
        for (int i = 0; i < trained.Length; i++)
        {
            var (start, end) = encoded.Offsets[i];
            trained[i] = end > start && rendered.TrainedSpans.Any(s => start < s.End && s.Start < end);
        }
        return (encoded.InputIds, trained);
    }

    int[] Ids(string text, bool addSpecialTokens) =>
        tokenizer.Encode(text, maxLength: int.MaxValue, truncation: TruncationStrategy.DoNotTruncate, addSpecialTokens: addSpecialTokens).InputIds;
}
