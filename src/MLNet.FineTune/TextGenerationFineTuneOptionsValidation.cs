using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;

namespace MLNet.FineTune;

/// <summary>Checks <see cref="TextGenerationFineTuneOptions"/> before any data is read or model loaded; errors name the option, the value and the fix.</summary>
internal static class TextGenerationFineTuneOptionsValidation
{
    public static void Validate(TextGenerationFineTuneOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if ((o.BaseModelFolder is null) == (o.Scratch is null))
            throw new ArgumentException("TextGenerationFineTuneOptions: set exactly one of BaseModelFolder (a GPT-2 / Llama-family checkpoint folder) or Scratch (a new decoder trained from random weights)" +
                (o.BaseModelFolder is null ? "; none is set." : "; both are set."), nameof(o.BaseModelFolder));
        if (o.BaseModelFolder is { } folder && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"TextGenerationFineTuneOptions.BaseModelFolder '{folder}' does not exist.");
        if (o.Scratch is { } scratch) CheckScratch(scratch);
        if (o.AdapterFolder is { } adapter)
        {
            if (o.BaseModelFolder is null)
                throw new ArgumentException("TextGenerationFineTuneOptions.AdapterFolder needs BaseModelFolder: a LoRA adapter is a change to the pretrained model it was trained on.", nameof(o.AdapterFolder));
            if (!File.Exists(Path.Combine(adapter, LoraAdapterConfig.FileName)))
                throw new FileNotFoundException($"TextGenerationFineTuneOptions.AdapterFolder '{adapter}' has no {LoraAdapterConfig.FileName}; give the folder PEFT's save_pretrained wrote.", Path.Combine(adapter, LoraAdapterConfig.FileName));
        }
        foreach (var (name, value) in new[] { (nameof(o.PromptColumnName), o.PromptColumnName), (nameof(o.CompletionColumnName), o.CompletionColumnName), (nameof(o.OutputColumnName), o.OutputColumnName) })
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"TextGenerationFineTuneOptions.{name} must name a column (got '{value}').", name);
        if (o.MessagesColumnName is { } messages && string.IsNullOrWhiteSpace(messages))
            throw new ArgumentException($"TextGenerationFineTuneOptions.MessagesColumnName must name a column or be null for prompt/completion data (got '{messages}').", nameof(o.MessagesColumnName));
        if (o.MessagesColumnName is null && o.PromptColumnName == o.CompletionColumnName)
            throw new ArgumentException($"TextGenerationFineTuneOptions.PromptColumnName and CompletionColumnName are both '{o.PromptColumnName}'; prompt/completion data needs two columns.", nameof(o.CompletionColumnName));
        if (o.ChatTemplate is { } template && string.IsNullOrWhiteSpace(template))
            throw new ArgumentException("TextGenerationFineTuneOptions.ChatTemplate must be \"chatml\", \"llama3\", a Jinja template, or null for the checkpoint's own.", nameof(o.ChatTemplate));
        if (!Enum.IsDefined(o.Loss))
            throw new ArgumentOutOfRangeException(nameof(o.Loss), o.Loss, $"TextGenerationFineTuneOptions.Loss must be one of {string.Join(", ", Enum.GetNames<TextGenerationLoss>())}.");
        if (o.MaxSequenceLength is < 2)
            throw new ArgumentOutOfRangeException(nameof(o.MaxSequenceLength), o.MaxSequenceLength, "TextGenerationFineTuneOptions.MaxSequenceLength must be at least 2 (a prompt token and a completion token), or null for the model's own.");
        if (o.Peft is { } peft)
        {
            if (peft.Method is not (PeftMethod.Full or PeftMethod.Lora))
                throw new NotSupportedException($"TextGenerationFineTuneOptions.Peft.Method {peft.Method} is not supported for decoders yet: use Full or Lora.");
            if (peft.AdapterPerTask) throw new ArgumentException("TextGenerationFineTuneOptions.Peft.AdapterPerTask needs several task heads; a causal LM has one. Set it to false.", nameof(o.Peft));
            if (peft.FreezeWordEmbeddings) throw new NotSupportedException("TextGenerationFineTuneOptions.Peft.FreezeWordEmbeddings is for encoders; a decoder's token embeddings are often tied to its output layer. Set it to false.");
            if (peft.Method == PeftMethod.Lora)
            {
                peft.Lora.Validate();
                if (peft.Lora.Bias != LoraBias.None || peft.Lora.ModulesToSave.Count > 0)
                    throw new NotSupportedException("TextGenerationFineTuneOptions.Peft.Lora: trained biases and ModulesToSave are not supported for decoder LoRA yet; use Bias = None and no ModulesToSave.");
            }
            if (peft.Method == PeftMethod.Lora && o.Scratch is not null)
                throw new ArgumentException("TextGenerationFineTuneOptions.Peft.Method is Lora but the model is trained from scratch (Scratch): random weights need full training. Leave Peft null or use Full.", nameof(o.Peft));
        }
        if (o.AdapterFolder is not null && o.Peft is { Method: PeftMethod.Full })
            throw new ArgumentException("TextGenerationFineTuneOptions.AdapterFolder continues training a LoRA adapter; Peft.Method Full contradicts it. Leave Peft null or use Lora.", nameof(o.Peft));
        if (!(o.ValidationFraction >= 0 && o.ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(o.ValidationFraction), o.ValidationFraction, "TextGenerationFineTuneOptions.ValidationFraction must be in [0, 1).");
        if (o.ValidationSet is not null && o.ValidationFraction > 0)
            throw new ArgumentException("TextGenerationFineTuneOptions: set ValidationSet or ValidationFraction, not both.", nameof(o.ValidationFraction));
        if (o.Generation is null) throw new ArgumentNullException(nameof(o.Generation), "TextGenerationFineTuneOptions.Generation must not be null (new TextGenerationSettings() is greedy decoding).");
        o.Generation.Validate("TextGenerationFineTuneOptions.Generation");
        o.Training?.Validate();
    }

    static void CheckScratch(ScratchDecoderOptions s)
    {
        const string owner = "TextGenerationFineTuneOptions.Scratch";
        if (s.ModelType is not ("gpt2" or "llama"))
            throw new ArgumentOutOfRangeException(nameof(s.ModelType), s.ModelType, $"{owner}.ModelType must be \"gpt2\" or \"llama\".");
        if (s.TokenizerFolder is { } folder && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{owner}.TokenizerFolder '{folder}' does not exist.");
        if (!(s.Dropout >= 0 && s.Dropout < 1)) throw new ArgumentOutOfRangeException(nameof(s.Dropout), s.Dropout, $"{owner}.Dropout must be in [0, 1).");
        // Sizes, divisibility and head dimensions: the decoder config's own rules, named after the options.
        try { ToConfig(s, vocabSize: 1, eos: null).Validate(owner); }
        catch (InvalidDataException e) { throw new ArgumentOutOfRangeException(owner, e.Message); }
    }

    /// <summary>The decoder config a scratch model is built from.</summary>
    public static DecoderConfig ToConfig(ScratchDecoderOptions s, int vocabSize, int? eos)
    {
        bool gpt2 = s.ModelType == "gpt2";
        return new DecoderConfig
        {
            ModelType = s.ModelType, VocabSize = vocabSize, HiddenSize = s.HiddenSize, NumLayers = s.NumLayers, NumHeads = s.NumHeads,
            NumKeyValueHeads = gpt2 ? s.NumHeads : s.NumKeyValueHeads ?? s.NumHeads, IntermediateSize = s.IntermediateSize ?? 4 * s.HiddenSize,
            MaxPositionEmbeddings = s.MaxPositions, HiddenAct = gpt2 ? "gelu_new" : "silu", NormEps = gpt2 ? 1e-5 : 1e-6,
            TieWordEmbeddings = gpt2, QkvBias = gpt2, OutputProjectionBias = gpt2, MlpBias = gpt2,
            ResidualDropout = gpt2 ? s.Dropout : 0, EmbeddingDropout = gpt2 ? s.Dropout : 0, AttentionDropout = s.Dropout,
            BosTokenId = eos, EosTokenIds = eos is int e ? [e] : [],
        };
    }
}
