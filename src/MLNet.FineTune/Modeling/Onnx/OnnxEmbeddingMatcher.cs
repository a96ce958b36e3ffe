namespace MLNet.FineTune.Modeling.Onnx;

/// <summary>
/// Finds BertEmbeddings in a graph: lookups (Gather on a float [rows, hidden] initializer) summed into a LayerNorm.
/// Each lookup's role comes from what indexes it: the <c>input_ids</c> / <c>token_type_ids</c> graph inputs (the
/// model's calling convention, not a weight name), or a constant buffer — arange for positions, zeros for token types.
/// </summary>
internal static class OnnxEmbeddingMatcher
{
    /// <returns>The embeddings' output (the LayerNorm's), the input of the first block.</returns>
    public static string Match(OnnxGraphIndex g, OnnxBertStructure s)
    {
        var lookups = g.Nodes.Where(n => n.OpType == "Gather" && (n.Int("axis") ?? 0) == 0 && g.FloatInitializer(n.Inputs[0], 2) is not null).ToList();
        if (lookups.Count == 0) throw OnnxBertMatcher.Fail(g, "no embedding lookup (a Gather on a float [rows, hidden] initializer)");

        // Walk the Add chain from one lookup up to the LayerNorm; its operands are the summed lookups.
        var terms = new List<string> { lookups[0].Outputs[0] };
        string sum = terms[0];
        while (OnnxPatterns.Single(g, sum, "Add") is { } add)
        {
            terms.Add(OnnxPatterns.Other(add, sum));
            sum = add.Outputs[0];
        }
        var norm = OnnxPatterns.LayerNorm(g, sum)
            ?? throw OnnxBertMatcher.Fail(g, $"the embedding lookup {lookups[0].Describe()} is summed into '{sum}', which feeds no LayerNorm");
        var tables = terms.Select(t => g.Producer(t) is { OpType: "Gather" } n && lookups.Contains(n) ? n : null).ToList();
        if (tables.Any(t => t is null))
            throw OnnxBertMatcher.Fail(g, $"the embedding sum adds '{terms[tables.IndexOf(null)]}', which is not an embedding lookup");

        OnnxNode? word = null, position = null, type = null;
        foreach (var lookup in tables.Select(t => t!))
        {
            switch (Role(g, lookup))
            {
                case "word" when word is null: word = lookup; break;
                case "position" when position is null: position = lookup; break;
                case "type" when type is null: type = lookup; break;
                case var role:
                    throw OnnxBertMatcher.Fail(g, $"cannot tell what the embedding lookup {lookup.Describe()} indexes by ({role}; its indices come from '{g.Origin(lookup.Inputs[1])}')");
            }
        }
        if (word is null || position is null)
            throw OnnxBertMatcher.Fail(g, "the embeddings lack a word lookup indexed by the input_ids graph input or a position lookup");
        if (type is null)
            throw new Checkpoints.CheckpointException($"{g.Source}: the embeddings sum word and position lookups without token-type embeddings: a DistilBERT-style graph. " +
                "DistilBERT ONNX import is not supported yet; use its safetensors checkpoint (config.json + model.safetensors).");

        var words = g.FloatInitializer(word.Inputs[0], 2)!;
        s.Vocab = words.Dims[0];
        s.Hidden = words.Dims[1];
        s.Positions = g.Initializer(position.Inputs[0])!.Dims[0];
        s.TypeVocab = g.Initializer(type.Inputs[0])!.Dims[0];
        foreach (var table in new[] { position, type })
            if (g.Initializer(table.Inputs[0])!.Dims[1] != s.Hidden)
                throw OnnxBertMatcher.Fail(g, $"embedding table '{table.Inputs[0]}' is {g.Initializer(table.Inputs[0])!.ShapeText}, the word table {words.ShapeText}");
        s.Add("embeddings.word_embeddings.weight", words, word, "looked up by input_ids");
        s.Add("embeddings.position_embeddings.weight", g.Initializer(position.Inputs[0])!, position, "looked up by the position ids");
        s.Add("embeddings.token_type_embeddings.weight", g.Initializer(type.Inputs[0])!, type, "looked up by the token type ids");
        s.Add("embeddings.LayerNorm", norm, "the LayerNorm of the embedding sum");
        return norm.Output;
    }

    static string Role(OnnxGraphIndex g, OnnxNode lookup)
    {
        var indices = lookup.Inputs[1];
        var origin = g.Origin(indices);
        if (g.Model.Graph.Inputs.Contains(origin))
            return origin switch { "input_ids" => "word", "token_type_ids" => "type", "position_ids" => "position", _ => $"graph input '{origin}'" };
        // RoBERTa numbers positions from the padding id with a cumulative sum over input_ids != pad.
        if (g.HasUpstream(indices, "CumSum"))
            throw new Checkpoints.CheckpointException($"{g.Source}: {lookup.Describe()} computes position ids with CumSum over the input ids: a RoBERTa-style graph. " +
                "RoBERTa ONNX import is not supported yet; use its safetensors checkpoint (config.json + model.safetensors).");
        var buffer = Buffer(g, indices);
        if (buffer is null) return "neither a graph input nor a constant buffer";
        if (buffer.Values.Length > 0 && buffer.Values.All(v => v == 0)) return "type";
        if (buffer.Values.Select((v, i) => v == i).All(b => b))
            return buffer.SliceStart is null or 0 ? "position" : $"positions sliced from {buffer.SliceStart}, not 0";
        return "a constant buffer that is neither 0, 1, 2, … nor all zeros";
    }

    sealed record ConstantBuffer(long[] Values, long? SliceStart);

    // position_ids / token_type_ids buffers: a constant, sliced to the sequence length and maybe expanded to the batch.
    static ConstantBuffer? Buffer(OnnxGraphIndex g, string value)
    {
        long? start = null;
        for (int guard = 0; guard < 8; guard++)
        {
            if (g.Constant(value) is { DataType: OnnxDataType.Int64 or OnnxDataType.Int32 } c) return new ConstantBuffer(c.Longs(), start);
            var node = g.Producer(value);
            if (node is { OpType: "Slice" }) start = node.Inputs.Count > 1 ? g.IntVector(node.Inputs[1]) is [long first] ? first : -1 : node.Ints("starts") is [long s] ? s : -1;
            else if (node is not { OpType: "Expand" or "Cast" or "Identity" or "Unsqueeze" }) return null;
            value = node.Inputs[0];
        }
        return null;
    }
}
