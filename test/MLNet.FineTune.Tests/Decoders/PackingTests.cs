using MLNet.FineTune.Modeling.Decoding;
using MLNet.FineTune.Tests.Generation;
using MLNet.FineTune.Training;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Decoders;

/// <summary>
/// Packed rows (several examples in one row, block-diagonal causal attention, positions restarting per example) give
/// every example the logits and loss terms it has alone, on tiny random GPT-2 and Llama decoders.
/// </summary>
[TestClass]
public class PackingTests
{
    static readonly CausalLmSequence[] Sequences =
    [
        Sequence([3, 17, 5, 9, 22], [-100, -100, 5, 9, 22]),
        Sequence([11, 2, 30], [-100, 2, 30]),
        Sequence([7, 7, 1, 39, 12, 4, 28], [-100, -100, -100, 39, 12, 4, 28]),
        Sequence([19, 25, 6, 13], [19, 25, 6, 13]),
    ];

    static CausalLmSequence Sequence(int[] ids, int[] labels) => new(ids, labels);

    static ICausalLanguageModel Model(string type) =>
        TinyDecoders.Create(type == "gpt2" ? TinyDecoders.Gpt2Config : TinyDecoders.LlamaConfig with { SlidingWindow = null }, seed: 5);

    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("llama")]
    public void EachExampleInAPackedRowHasItsLogitsAlone(string type)
    {
        var model = Model(type);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        // Row 0 packs three examples; row 1 holds one and is right-padded.
        var batch = CausalLmCollator.Packed([Sequences[..3], Sequences[3..]], padId: 0);
        var packed = model.Logits(new DecoderInput(batch.InputIds, batch.AttentionMask, batch.PositionIds, SequenceIds: batch.SequenceIds));
        (int Row, int Offset, int Index)[] places = [(0, 0, 0), (0, 5, 1), (0, 8, 2), (1, 0, 3)];
        foreach (var (row, offset, index) in places)
        {
            var s = Sequences[index];
            var alone = model.Logits(new DecoderInput(tensor(s.InputIds.Select(i => (long)i).ToArray(), [1, s.Length])));
            var inRow = packed[row].narrow(0, offset, s.Length).unsqueeze(0);
            double diff = (inRow - alone).abs().max().item<float>();
            Assert.IsTrue(diff < 1e-5, $"{type}: example {index} in the packed row differs from alone by {diff:G3}");
        }
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2, 3, 4, 5, 6 }, batch.PositionIds!.data<long>().Take(15).ToArray());
    }

    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("llama")]
    public void PackedLossEqualsTheUnpackedTokenMeanLoss(string type)
    {
        var model = new CausalLmTrainingModel(Model(type));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        float unpacked = model.ComputeLoss(CausalLmCollator.RightPadded(Sequences, padId: 0)).item<float>();
        float packed = model.ComputeLoss(CausalLmCollator.Packed([Sequences[..2], Sequences[2..]], padId: 0)).item<float>();
        float oneRow = model.ComputeLoss(CausalLmCollator.Packed([Sequences], padId: 0)).item<float>();
        Assert.AreEqual(unpacked, packed, 1e-5, type);
        Assert.AreEqual(unpacked, oneRow, 1e-5, type);
    }

    [TestMethod]
    public void PackingPlansFirstFitDecreasingAndMasksEachExamplesFirstLabel()
    {
        var rows = CausalLmPacking.Plan([5, 3, 7, 4, 2], rowLength: 10);
        CollectionAssert.AreEqual(new[] { "1,2", "0,3", "4" }.ToList(), rows.Select(r => string.Join(",", r)).ToList());
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => CausalLmPacking.Plan([5, 11], 10)).Message, "Sequence 1 has 11 tokens");

        var (ids, labels, positions, sequenceIds) = CausalLmPacking.Concatenate([Sequences[3], Sequences[1]]);
        CollectionAssert.AreEqual(new[] { 19, 25, 6, 13, 11, 2, 30 }, ids);
        CollectionAssert.AreEqual(new[] { -100, 25, 6, 13, -100, 2, 30 }, labels, "the first token of each example is never a target");
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 0, 1, 2 }, positions);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 1, 1 }, sequenceIds);
    }

    [TestMethod]
    public void TheMaskIsBlockDiagonalCausalAndRefusesACache()
    {
        using var scope = NewDisposeScope();
        var sequenceIds = tensor(new long[] { 0, 0, 1, 1, 1 }, [1, 5]);
        var mask = DecoderMasks.Additive(1, 5, 0, null, null, ScalarType.Float32, CPU, sequenceIds).eq(0).to_type(ScalarType.Int32)[0, 0];
        var expected = new[]
        {
            1, 0, 0, 0, 0,
            1, 1, 0, 0, 0,
            0, 0, 1, 0, 0,
            0, 0, 1, 1, 0,
            0, 0, 1, 1, 1,
        };
        CollectionAssert.AreEqual(expected, mask.data<int>().ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => DecoderMasks.Additive(1, 5, 2, null, null, ScalarType.Float32, CPU, sequenceIds));
    }
}
