using System.Text.Json.Nodes;
using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>
/// Three AdamW steps of supervised fine-tuning with the prompt masked (hf-decoder/sft.json), driven by our
/// <see cref="Trainer{TBatch}"/>: full GPT-2 and LoRA on Llama; losses, grad norms, watched and final tensors within 1e-5.
/// </summary>
[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class SftTrajectoryTests
{
    [TestMethod]
    public void Gpt2FullFineTuningFollowsHuggingFace()
    {
        var reference = DecoderFixtures.Json("sft.json")["gpt2-full-completion-only"]!;
        var model = DecoderFixtures.Load("gpt2-bpe");
        var batch = EncodedBatch(reference);
        AssertBatch(Batch(reference), batch);
        var watched = new List<Dictionary<string, float[]>>();
        var history = Train(model, batch, learningRate: 1e-3, () =>
        {
            var weights = DecoderFactory.ToCheckpointLayout(model, model.Module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
            watched.Add(weights.ToDictionary(kv => kv.Key, kv => kv.Value.flatten()[..6].data<float>().ToArray()));
        });
        AssertSteps(reference, history, watched);
        AssertLossAfter(model, reference);
    }

    [TestMethod]
    public void LlamaLoraFollowsPeft()
    {
        var reference = DecoderFixtures.Json("sft.json")["llama-tiny-lora-train"]!;
        var lora = new DecoderLora("llama");
        var model = DecoderFixtures.Load("llama-tiny", lora.Projection);
        lora.Attach(model);
        lora.LoadAdapter(DecoderFixtures.HfDecoder(reference["initial_adapter"]!.GetValue<string>()));
        Assert.AreEqual(8, lora.TrainableParameters().Count);
        var watched = new List<Dictionary<string, float[]>>();
        var history = Train(model, Batch(reference), learningRate: 5e-3,
            () => watched.Add(lora.TrainableParameters().ToDictionary(p => p.Name, p => p.Parameter.detach().flatten()[..6].data<float>().ToArray())));
        AssertSteps(reference, history, watched);

        var final = SafetensorsReader.Open(DecoderFixtures.HfDecoder("llama-tiny-lora-train-3steps.safetensors"));
        var trained = lora.TrainableParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.AreEqual(final.Entries.Count, trained.Count, "trainable tensors");
        foreach (var key in final.Entries.Keys)
        {
            using var expected = final.ReadTensor(key);
            var diff = HfReference.MaxAbsDiff(trained[key].detach(), expected);
            Assert.IsTrue(diff < 1e-5, $"{key} after 3 steps: max |Δ| = {diff:G3}");
        }
        AssertLossAfter(model, reference);
    }

    static TrainingHistory Train(ICausalLanguageModel model, CausalLmBatch batch, double learningRate, Action afterStep)
    {
        var source = new ListBatchSource<int, CausalLmBatch>(new[] { 0 }, _ => (int)batch.InputIds.size(1),
            _ => new CausalLmBatch(batch.InputIds.clone(), batch.AttentionMask.clone(), batch.Labels.clone()));
        var options = new TrainingOptions
        {
            LearningRate = learningRate, WeightDecay = 0.01, Schedule = LearningRateScheduleKind.Constant, MaxGradNorm = 0, BatchSize = 1,
            MaxSteps = 3, Shuffle = false, EvaluationStrategy = EvaluationStrategy.No, LoadBestModelAtEnd = false,
        };
        model.Module.train();
        return new Trainer<CausalLmBatch>(options, new StepProbe(afterStep)).Train(new CausalLmTrainingModel(model), source);
    }

    static CausalLmBatch Batch(JsonNode reference) => new(
        DecoderFixtures.Matrix(DecoderFixtures.Rows(reference["input_ids"]!)),
        DecoderFixtures.Matrix(DecoderFixtures.Rows(reference["attention_mask"]!)),
        DecoderFixtures.Matrix(DecoderFixtures.Rows(reference["labels"]!)));

    /// <summary>
    /// The fixture's prompt/completion texts through <see cref="GenerativeExampleEncoder"/> (prompt ids + completion ids
    /// + eos, completion-only labels) and <see cref="CausalLmCollator.RightPadded"/> (pad = eos): the batch HF trained on.
    /// </summary>
    static CausalLmBatch EncodedBatch(JsonNode reference)
    {
        var tokenizer = TransformerTokenizer.FromFolder(DecoderFixtures.ModelFolder("gpt2-bpe"));
        var encoder = new GenerativeExampleEncoder(tokenizer, ChatTemplate.ChatMl);
        var examples = reference["examples"]!.AsArray()
            .Select(e => GenerativeExample.PromptCompletion(e!["prompt"]!.GetValue<string>(), e["completion"]!.GetValue<string>()));
        var sequences = encoder.EncodeAll(examples).Select(e => new CausalLmSequence(e.InputIds, e.Labels)).ToList();
        return CausalLmCollator.RightPadded(sequences, tokenizer.PadTokenId);
    }

    static void AssertBatch(CausalLmBatch expected, CausalLmBatch actual)
    {
        CollectionAssert.AreEqual(expected.InputIds.data<long>().ToArray(), actual.InputIds.data<long>().ToArray(), "input ids");
        CollectionAssert.AreEqual(expected.AttentionMask.data<long>().ToArray(), actual.AttentionMask.data<long>().ToArray(), "attention mask");
        CollectionAssert.AreEqual(expected.Labels.data<long>().ToArray(), actual.Labels.data<long>().ToArray(), "labels");
        CollectionAssert.AreEqual(expected.InputIds.shape, actual.InputIds.shape, "shape");
    }

    static void AssertSteps(JsonNode reference, TrainingHistory history, List<Dictionary<string, float[]>> watched)
    {
        var steps = reference["steps"]!.AsArray();
        Assert.AreEqual(steps.Count, history.Steps.Count);
        Assert.AreEqual(steps.Count, watched.Count);
        for (int i = 0; i < steps.Count; i++)
        {
            Assert.AreEqual(steps[i]!["loss_before_update"]!.GetValue<double>(), history.Steps[i].Loss, 1e-5, $"loss at step {i + 1}");
            Assert.AreEqual(steps[i]!["grad_norm"]!.GetValue<double>(), history.Steps[i].GradNorm, 1e-5, $"grad norm at step {i + 1}");
            foreach (var (name, values) in steps[i]!["watched_after"]!.AsObject())
            {
                var expected = values!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
                var actual = watched[i][name];
                for (int j = 0; j < expected.Length; j++)
                    Assert.AreEqual(expected[j], actual[j], 1e-5, $"{name}[{j}] after step {i + 1}");
            }
        }
    }

    static void AssertLossAfter(ICausalLanguageModel model, JsonNode reference)
    {
        using var _ = no_grad();
        model.Module.eval();
        var batch = Batch(reference);
        var loss = CausalLmLoss.Compute(model.Logits(new DecoderInput(batch.InputIds, batch.AttentionMask)), batch.Labels).item<float>();
        Assert.AreEqual(reference["loss_after"]!.GetValue<double>(), loss, 1e-5, "loss after 3 updates");
    }

    /// <summary>Reports synchronously (Progress&lt;T&gt; posts to a thread pool), so tensors are read right after each step.</summary>
    sealed class StepProbe(Action afterStep) : IProgress<FineTuneProgress>
    {
        public void Report(FineTuneProgress value) => afterStep();
    }
}
