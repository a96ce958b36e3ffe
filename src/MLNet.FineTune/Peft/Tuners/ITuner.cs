using MLNet.FineTune.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.FineTune.Peft.Tuners;

/// <summary>
/// One parameter-efficient method (PEFT's <c>BaseTuner</c>): what it builds into the encoder, what it adds beside it,
/// which encoder parameters train, and how it changes the encoder's input and output. <see cref="PeftModel"/> drives
/// a tuner; a new method is one new class marked <see cref="TunerAttribute"/>, found by <see cref="TunerRegistry"/>.
/// </summary>
internal interface ITuner
{
    /// <summary>Builds the encoder's projections (LoRA and bottleneck adapters wrap the base layer here).</summary>
    ProjectionFactory Projection => Projections.Plain;

    /// <summary>Whether an encoder parameter is created by <see cref="Projection"/>, so that no pretrained checkpoint holds it.</summary>
    bool IsAddedByProjection(string parameterName) => false;

    /// <summary>Adds the method's trainable pieces once the encoder is built (LoRA adapters, the prompt).</summary>
    void Attach(EncoderModel encoder) { }

    /// <summary>Whether an encoder parameter trains under this method (the task heads always do).</summary>
    bool Trains(string encoderParameterName);

    /// <summary>A trainable module that lives outside the encoder (prompt tuning's virtual tokens), or null.</summary>
    nn.Module? Auxiliary => null;

    /// <summary>The encoder input for this method: prompt tuning prepends its virtual tokens.</summary>
    EncoderInput PrepareInput(EncoderModel encoder, EncoderInput input) => input;

    /// <summary>Per-token states of the real tokens only (B, T, H).</summary>
    Tensor RealTokenStates(EncoderOutput output) => output.LastHiddenState;

    /// <summary>
    /// Whether PEFT keeps a frozen original beside each trained copy of a head / modules_to_save (LoRA, prompt tuning),
    /// which its parameter report counts twice.
    /// </summary>
    bool CountsSavedModuleCopies => false;
}

/// <summary>Marks an <see cref="ITuner"/> as the implementation of <see cref="Method"/>. The class needs a constructor taking a <see cref="TunerContext"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
internal sealed class TunerAttribute(PeftMethod method) : Attribute
{
    public PeftMethod Method { get; } = method;
}

/// <summary>What a tuner is built from: the options, the encoder's model type, and per-task adapter names (null: one shared adapter).</summary>
internal sealed record TunerContext(PeftOptions Options, string ModelType, IReadOnlyList<string>? TaskAdapters);
