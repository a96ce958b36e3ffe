namespace MLNet.FineTune.Training;

/// <summary>Shape of the learning-rate schedule; all three accept a linear warmup from 0.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>Warmup (if any), then the base learning rate. HF <c>get_constant_schedule_with_warmup</c>.</summary>
    Constant,

    /// <summary>Warmup, then linear decay to 0 at the last step. HF <c>get_linear_schedule_with_warmup</c>.</summary>
    Linear,

    /// <summary>Warmup, then half a cosine down to 0 at the last step. HF <c>get_cosine_schedule_with_warmup</c> (num_cycles 0.5).</summary>
    Cosine,
}
