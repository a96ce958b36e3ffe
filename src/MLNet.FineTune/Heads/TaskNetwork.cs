using MLNet.FineTune.Data;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.FineTune.Heads;

/// <summary>
/// One encoder shared by one or more task heads. The encoder is registered under its model type (<c>bert.</c>,
/// <c>roberta.</c>, <c>distilbert.</c>: Hugging Face's task-checkpoint prefixes) and each head under
/// <c>heads.{name}.</c>. A batch runs through the encoder once, then through every head; with per-task adapters
/// (<see cref="PeftOptions.AdapterPerTask"/>) the frozen base is shared but each head needs its own encoder pass.
/// </summary>
internal sealed class TaskNetwork : nn.Module, ITrainableModel<TextBatch>
{
    readonly EncoderModel encoder;
    readonly ModuleDict<ClassifierModule> heads = new();

    /// <param name="encoder">The encoder, built through <paramref name="peft"/>'s projection factory when a method is given.</param>
    /// <param name="tasks">The fitted heads, in order.</param>
    /// <param name="headModules">One module per head.</param>
    /// <param name="peft">The parameter-efficient method: attached here (adapters added, weights frozen, its prompt registered as <c>prompt.</c>); null trains everything.</param>
    public TaskNetwork(EncoderModel encoder, IReadOnlyList<IFittedHead> tasks, IReadOnlyList<ClassifierModule> headModules, PeftModel? peft = null) : base(nameof(TaskNetwork))
    {
        this.encoder = encoder;
        Tasks = tasks;
        for (int i = 0; i < tasks.Count; i++) heads.Add(tasks[i].Name, headModules[i]);
        register_module(encoder.Config.ModelType, encoder);
        register_module("heads", heads);
        Peft = peft;
        if (peft is null) return;
        peft.Attach(encoder, heads, tasks.Count == 1 && tasks[0].IsTokenLevel ? "TOKEN_CLS" : "SEQ_CLS");
        if (peft.Auxiliary is { } auxiliary) register_module("prompt", auxiliary);
    }

    public EncoderModel Encoder => encoder;
    /// <summary>All head modules (what PEFT methods always train).</summary>
    public nn.Module HeadsModule => heads;

    public IReadOnlyList<IFittedHead> Tasks { get; }
    public ClassifierModule Head(int index) => heads[Tasks[index].Name];
    public string EncoderPrefix => encoder.Config.ModelType + ".";

    nn.Module ITrainableModel<TextBatch>.Module => this;

    /// <summary>Logits of every head for a batch, (B, C) or (B, T, C) each.</summary>
    public Tensor[] Forward(TextBatch batch) => Forward(batch, null)!;

    /// <summary>
    /// Logits of the heads in <paramref name="wanted"/> (null: all; the others' entries are null). Shared encoder: one
    /// encoder pass for all heads. Per-task adapters: one pass per wanted head, with that head's adapter.
    /// </summary>
    Tensor?[] Forward(TextBatch batch, bool[]? wanted)
    {
        var input = new EncoderInput(batch.AttentionMask, batch.InputIds, batch.TokenTypeIds, PaddingUnread: true); // heads read real tokens only
        if (Peft is not null) input = Peft.PrepareInput(input); // prompt tuning prepends its virtual tokens
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
        Head(i).Forward(Tasks[i].IsTokenLevel && Peft is not null ? new EncoderOutput(Peft.RealTokenStates(encoded), encoded.Pooled) : encoded);

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
            if (Tasks[h].LossWeight != 1.0) loss = loss.Times(Tasks[h].LossWeight);
            total = total is null ? loss : total.Plus(loss);
        }
        return total ?? zeros(1, requires_grad: true).sum();
    }

    /// <summary>The parameter-efficient method applied to this network (which weights train, adapters, prompt), or null.</summary>
    public PeftModel? Peft { get; }
}
