namespace MLNet.FineTune.Peft.Tuners;

/// <summary>Full fine-tuning: every encoder parameter trains.</summary>
[Tuner(PeftMethod.Full)]
internal sealed class FullFineTuning : ITuner
{
    public FullFineTuning(TunerContext context) { } // nothing to build: the method only chooses what trains

    public bool Trains(string encoderParameterName) => true;
}

/// <summary>Head only: the encoder is frozen (linear probing).</summary>
[Tuner(PeftMethod.HeadOnly)]
internal sealed class HeadOnlyTuning : ITuner
{
    public HeadOnlyTuning(TunerContext context) { } // nothing to build: the method only chooses what trains

    public bool Trains(string encoderParameterName) => false;
}

/// <summary>BitFit (Ben Zaken et al. 2022): only the encoder's bias terms train.</summary>
[Tuner(PeftMethod.BitFit)]
internal sealed class BitFitTuning : ITuner
{
    public BitFitTuning(TunerContext context) { } // nothing to build: the method only chooses what trains

    public bool Trains(string encoderParameterName) => encoderParameterName.EndsWith(".bias", StringComparison.Ordinal);
}
