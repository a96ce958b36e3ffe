using MLNet.FineTune.Heads;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Engine;

/// <summary>
/// One encoder shared by one or more task heads. The encoder is registered under its model type (<c>bert.</c>,
/// <c>roberta.</c>, <c>distilbert.</c>: Hugging Face's task-checkpoint prefixes) and each head under
/// <c>heads.{name}.</c>. A batch runs through the encoder once, then through every head; with per-task adapters
/// (<see cref="Peft.PeftOptions.AdapterPerTask"/>) the frozen base is shared but each head needs its own encoder pass.
/// </summary>
public sealed class TaskNetwork : nn.Module, ITrainableModel<TextBatch>
{
    readonly EncoderModel encoder;
    readonly ModuleDict<ClassifierModule> heads = new();

    public TaskNetwork(EncoderModel encoder, IReadOnlyList<ITaskHead> tasks, IReadOnlyList<ClassifierModule> headModules) : base(nameof(TaskNetwork))
    {
        this.encoder = encoder;
        Tasks = tasks;
        for (int i = 0; i < tasks.Count; i++) heads.Add(tasks[i].Name, headModules[i]);
        register_module(encoder.Config.ModelType, encoder);
        register_module("heads", heads);
    }

    public EncoderModel Encoder => encoder;
    /// <summary>All head modules (what PEFT methods always train).</summary>
    public nn.Module HeadsModule => heads;

    /// <summary>Registers extra trainable modules that live outside the encoder (prompt tuning's virtual tokens) under <paramref name="name"/>.</summary>
    public void AddAuxiliary(string name, nn.Module module) => register_module(name, module);
    public IReadOnlyList<ITaskHead> Tasks { get; }
    public ClassifierModule Head(int index) => heads[Tasks[index].Name];
    public string EncoderPrefix => encoder.Config.ModelType + ".";

    /// <summary>Optional input rewrite applied before the encoder (prompt tuning prepends virtual tokens here).</summary>
    public Func<EncoderInput, EncoderInput>? InputTransform { get; set; }

    /// <summary>Optional output rewrite applied before token-level heads (prompt tuning drops its virtual positions).</summary>
    public Func<EncoderOutput, EncoderOutput>? OutputTransform { get; set; }

    nn.Module ITrainableModel<TextBatch>.Module => this;

    /// <summary>Logits of every head for a batch, (B, C) or (B, T, C) each.</summary>
    public Tensor[] Forward(TextBatch batch) => Forward(batch, null)!;

    /// <summary>
    /// Logits of the heads in <paramref name="wanted"/> (null: all; the others' entries are null). Shared encoder: one
    /// encoder pass for all heads. Per-task adapters: one pass per wanted head, with that head's adapter.
    /// </summary>
    Tensor?[] Forward(TextBatch batch, bool[]? wanted)
    {
        var input = new EncoderInput(batch.AttentionMask, batch.InputIds, batch.TokenTypeIds);
        if (InputTransform != null) input = InputTransform(input);
        var logits = new Tensor?[Tasks.Count];
        if (Peft?.TaskAdapters is null)
        {
            var encoded = encoder.Forward(input);
            for (int i = 0; i < Tasks.Count; i++) logits[i] = HeadForward(i, encoded);
            return logits;
        }
        for (int i = 0; i < Tasks.Count; i++)
        {
            if (wanted is not null && !wanted[i]) continue;
            using (Peft.UseTaskAdapter(Tasks[i].Name)) logits[i] = HeadForward(i, encoder.Forward(input));
        }
        return logits;
    }

    // Token-level heads see real tokens only; sequence heads read position 0 as PEFT does (the first virtual token under prompt tuning).
    Tensor HeadForward(int i, EncoderOutput encoded) =>
        Head(i).Forward(Tasks[i].IsTokenLevel && OutputTransform != null ? OutputTransform(encoded) : encoded);

    /// <summary>
    /// Sum over heads of each head's mean loss on the rows labelled for it (multi-task: rows may carry one task's label only).
    /// With per-task adapters, heads without a labelled row in the batch skip their encoder pass.
    /// </summary>
    public Tensor ComputeLoss(TextBatch batch)
    {
        // Scalar-free (see Modeling.ScalarFree): this runs every step.
        using var ignored = ((float)Losses.IgnoreIndex).ToScalar();
        var labelled = batch.Targets.Select(t => t.dim() == 1 ? t.isnan().logical_not() : t.ne(ignored)).ToArray();
        var labelledCount = labelled.Select(l => l.count_nonzero().ItemInt64()).ToArray();
        var logits = Forward(batch, labelledCount.Select(n => n > 0).ToArray());
        Tensor? total = null;
        for (int h = 0; h < Tasks.Count; h++)
        {
            if (labelledCount[h] == 0) continue;
            var targets = batch.Targets[h];
            Tensor loss;
            if (targets.dim() == 1 && labelledCount[h] < targets.size(0))
            {
                var rows = labelled[h].nonzero().squeeze(1); // multi-task: only the rows that carry this head's label
                loss = Tasks[h].Loss(logits[h]!.index_select(0, rows), targets.index_select(0, rows));
            }
            else loss = Tasks[h].Loss(logits[h]!, targets);
            if (LossWeight(h) != 1.0) loss = loss.Times(LossWeight(h));
            total = total is null ? loss : total.Plus(loss);
        }
        return total ?? zeros(1, requires_grad: true).sum();
    }

    /// <summary>The parameter-efficient method applied to this network (which weights train, adapters, prompt).</summary>
    public Peft.PeftModel? Peft { get; set; }

    /// <summary>Per-head loss weights for multi-task training (default 1).</summary>
    public IReadOnlyList<double>? LossWeights { get; set; }
    double LossWeight(int h) => LossWeights is { } w && h < w.Count ? w[h] : 1.0;
}
