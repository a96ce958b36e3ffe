namespace MLNet.FineTune;

/// <summary>
/// How <see cref="SetFitHead.Differentiable"/> trains SetFit's <c>SetFitHead</c> (a linear layer + softmax on the
/// embeddings) after the body's contrastive training. Defaults are setfit v1.1's (<c>TrainingArguments</c>: the second
/// value of each (body, head) pair, <c>head_learning_rate</c>, <c>l2_weight</c>, <c>end_to_end</c>).
/// </summary>
public sealed record SetFitDifferentiableHeadOptions
{
    /// <summary>Passes over the labelled texts. Default 16 (setfit's <c>num_epochs[1]</c>).</summary>
    public int Epochs { get; init; } = 16;

    /// <summary>Texts per optimizer step. Default 2 (setfit's <c>batch_size[1]</c>).</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary>AdamW learning rate of the head; halved every 5 epochs (setfit's StepLR). Default 1e-2 (<c>head_learning_rate</c>).</summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary>AdamW weight decay of the head (and of the body when <see cref="EndToEnd"/>). Default 0.01 (<c>l2_weight</c>).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>
    /// Also train the body with the classification loss. Default false (setfit's <c>end_to_end</c>): the body is frozen
    /// but, as in setfit, still runs in training mode, so the head sees embeddings with dropout noise.
    /// </summary>
    public bool EndToEnd { get; init; }

    /// <summary>AdamW learning rate of the body when <see cref="EndToEnd"/>. Default 1e-5 (<c>body_learning_rate[1]</c>).</summary>
    public double BodyLearningRate { get; init; } = 1e-5;

    /// <summary>The logits are divided by (temperature + 1e-5) before the softmax, in training and scoring. Default 1.</summary>
    public double Temperature { get; init; } = 1.0;
}
