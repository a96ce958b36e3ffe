using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft.Tuners;

/// <summary>Prompt tuning (Lester et al. 2021): a frozen encoder and learned virtual tokens in front of the words.</summary>
[Tuner(PeftMethod.PromptTuning)]
internal sealed class PromptTuner : ITuner
{
    readonly PromptTuningOptions options;

    public PromptTuner(TunerContext context)
    {
        options = context.Options.PromptTuning;
        options.Validate();
    }

    public PromptEmbedding? Prompt { get; private set; }
    public void Attach(EncoderModel encoder) => Prompt = new PromptEmbedding(encoder, options);
    public bool Trains(string encoderParameterName) => false;
    public nn.Module? Auxiliary => Prompt;
    public EncoderInput PrepareInput(EncoderModel encoder, EncoderInput input) => Prompt!.Prepend(encoder, input);
    public Tensor RealTokenStates(EncoderOutput output) => Prompt!.DropVirtualTokens(output.LastHiddenState);
    public bool CountsSavedModuleCopies => true;
}
