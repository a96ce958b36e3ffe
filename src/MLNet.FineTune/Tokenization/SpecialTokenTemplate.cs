namespace MLNet.FineTune.Tokenization;

/// <summary>
/// Where a model family puts its special tokens: <c>Prefix A SingleSuffix</c> for one text and
/// <c>Prefix A PairMiddle B PairSuffix</c> for a pair. Tokens of B and PairSuffix get <see cref="SecondTypeId"/>,
/// everything before gets token type 0 (Hugging Face <c>build_inputs_with_special_tokens</c> /
/// <c>create_token_type_ids_from_sequences</c>).
/// </summary>
internal sealed record SpecialTokenTemplate(int[] Prefix, int[] SingleSuffix, int[] PairMiddle, int[] PairSuffix, int SecondTypeId)
{
    /// <summary>BERT / DistilBERT / ALBERT: <c>[CLS] A [SEP] B [SEP]</c>, pair tokens type 1.</summary>
    public static SpecialTokenTemplate Bert(int cls, int sep) => new([cls], [sep], [sep], [sep], 1);

    /// <summary>RoBERTa: <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>, all token types 0.</summary>
    public static SpecialTokenTemplate Roberta(int cls, int sep) => new([cls], [sep], [sep, sep], [sep], 0);

    /// <summary>GPT-2: nothing added (HF's <c>add_bos_token=False</c> default); pair tokens type 1.</summary>
    public static SpecialTokenTemplate None { get; } = new([], [], [], [], 1);

    /// <summary>GPT-2 with <c>add_bos_token=True</c>: <c>bos A bos B</c>.</summary>
    public static SpecialTokenTemplate BosOnly(int bos) => new([bos], [], [bos], [], 1);

    /// <summary>How many special tokens one text or a pair adds (HF <c>num_special_tokens_to_add</c>).</summary>
    public int Count(bool pair) => Prefix.Length + (pair ? PairMiddle.Length + PairSuffix.Length : SingleSuffix.Length);
}
