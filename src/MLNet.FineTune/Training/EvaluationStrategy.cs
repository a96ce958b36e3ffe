namespace MLNet.FineTune.Training;

/// <summary>When the evaluation callback runs.</summary>
public enum EvaluationStrategy
{
    /// <summary>Never.</summary>
    No,

    /// <summary>Every <see cref="TrainingOptions.EvalSteps"/> optimizer steps.</summary>
    Steps,

    /// <summary>After the last optimizer step of each epoch.</summary>
    Epoch,
}
