using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Embeddings;

/// <summary>How SetFit's differentiable head is trained (setfit's <c>SetFitModel.fit</c> with a <c>SetFitHead</c>).</summary>
internal sealed record HeadTrainingSettings(int Epochs, int BatchSize, double LearningRate, double WeightDecay, bool EndToEnd,
    double BodyLearningRate, double Temperature, int Seed);

/// <summary>A linear head's weights: <see cref="Weight"/> is row-major [classes, dimensions], as nn.Linear stores it.</summary>
internal sealed record LinearHeadWeights(float[] Weight, float[] Bias, int Classes, int Dimensions);

/// <summary>
/// SetFit's differentiable head: nn.Linear(dimensions, classes) (Xavier-uniform weight, bias 0.01), logits divided by
/// (temperature + 1e-5), cross-entropy, AdamW with the head and (end to end) the body as two groups, StepLR halving the
/// learning rates every 5 epochs, shuffled batches. As in setfit the body runs in training mode (dropout) even when it
/// is frozen, so every epoch sees other noisy embeddings; frozen, it runs without gradients. A plain loop rather than
/// <see cref="Trainer{TBatch}"/>: the schedule is setfit's step decay, and the run takes seconds (not checkpointed).
/// </summary>
internal static class SetFitHeadTraining
{
    /// <summary>setfit's <c>SetFitHead.eps</c>, added to the temperature.</summary>
    public const double TemperatureEpsilon = 1e-5;
    const int StepLrEpochs = 5;
    const double StepLrGamma = 0.5;

    /// <summary>Trains the head (and the body when end to end); <c>initial</c> = null draws setfit's initialisation (tests pass known weights).</summary>
    public static LinearHeadWeights Train(EncoderModel encoder, TransformerTokenizer tokenizer, int maxLength, EmbeddingSettings embedding,
        IReadOnlyList<string> texts, IReadOnlyList<int> classes, int classCount, HeadTrainingSettings s, Action<string> log,
        CancellationToken cancellationToken, LinearHeadWeights? initial = null)
    {
        if (texts.Count != classes.Count) throw new ArgumentException($"{texts.Count} texts but {classes.Count} classes.", nameof(classes));
        var encodings = texts.Select(t => tokenizer.Encode(t ?? "", null, maxLength, TruncationStrategy.LongestFirst)).ToArray();
        int d = embedding.Dimensions;
        using var rng = new TorchRandomStream(s.Seed);
        using var head = rng.Use(() => CreateHead(d, classCount, initial));
        var groups = new List<ParameterGroup> { new("head", head.named_parameters(), s.WeightDecay) };
        if (s.EndToEnd) groups.Add(new("body", encoder.named_parameters(), s.WeightDecay, s.BodyLearningRate / s.LearningRate));
        using var optimizer = new Training.AdamW(groups, s.LearningRate);
        using var scale = (1.0 / (s.Temperature + TemperatureEpsilon)).ToScalar();
        encoder.train();
        try
        {
            for (int epoch = 0; epoch < s.Epochs; epoch++)
            {
                double factor = Math.Pow(StepLrGamma, epoch / StepLrEpochs);
                foreach (var g in optimizer.Groups) g.LearningRate = s.LearningRate * factor * g.LearningRateScale;
                var order = Enumerable.Range(0, texts.Count).ToArray();
                DeterministicRandom.ForEpoch(s.Seed, epoch).Shuffle(order);
                double lossSum = 0;
                int steps = 0;
                foreach (var batch in order.Chunk(s.BatchSize))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    var loss = rng.Use(() =>
                    {
                        var x = Embed(encoder, batch.Select(i => encodings[i]).ToArray(), tokenizer.PadTokenId, embedding, trainBody: s.EndToEnd);
                        var labels = tensor(batch.Select(i => (long)classes[i]).ToArray());
                        return Losses.CrossEntropy(head.forward(x).mul(scale), labels);
                    });
                    loss.backward();
                    optimizer.Step();
                    lossSum += loss.item<float>();
                    steps++;
                }
                log($"SetFit head: epoch {epoch + 1}/{s.Epochs}, mean loss {lossSum / steps:G4}, learning rate {s.LearningRate * factor:G3}.");
            }
            using var weight = head.weight!.detach().contiguous();
            using var bias = head.bias!.detach().contiguous();
            return new LinearHeadWeights(weight.data<float>().ToArray(), bias.data<float>().ToArray(), classCount, d);
        }
        finally
        {
            optimizer.ZeroGrad(); // frees the body's gradients when trained end to end
            encoder.eval();
        }
    }

    static Linear CreateHead(int dimensions, int classes, LinearHeadWeights? initial)
    {
        var head = nn.Linear(dimensions, classes);
        using var _ = no_grad();
        if (initial is null)
        {
            nn.init.xavier_uniform_(head.weight!);
            head.bias!.fill_(1e-2);
        }
        else
        {
            using var w = tensor(initial.Weight, [classes, dimensions]);
            using var b = tensor(initial.Bias);
            head.weight!.copy_(w);
            head.bias!.copy_(b);
        }
        return head;
    }

    /// <summary>The embeddings the head sees: pooled, truncated and normalised as the fitted model's, in training mode.</summary>
    static Tensor Embed(EncoderModel encoder, EncodedInput[] rows, long padId, EmbeddingSettings embedding, bool trainBody)
    {
        var batch = TextBatchCollator.Collate(rows, null, (int)padId, Array.Empty<bool>());
        using var grad = trainBody ? null : no_grad();
        using var output = encoder.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        var pooled = TextEmbeddingScorer.Pool(output.LastHiddenState, batch.AttentionMask, embedding.Pooling);
        return TextEmbeddingScorer.Finish(pooled, embedding.Dimensions, embedding.Normalize);
    }
}
