using System.Text.Json.Nodes;
using MLNet.FineTune.Modeling;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tokenization;
using MLNet.FineTune.Tests.Tokenization;
using static MLNet.FineTune.Tests.Robustness.UntrustedFileFixtures;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 3: Hugging Face JSON files (config.json, tokenizer.json, vocab.json, added_tokens.json,
/// tokenizer_config.json, special_tokens_map.json, model.safetensors.index.json, adapter_config.json) with fields of
/// the wrong JSON type or shape. Each must be refused naming the file and the field, never crash inside
/// System.Text.Json and never fall back to a default silently.
/// </summary>
internal sealed class JsonFileCases : ICorpusSource
{
    const string Category = "json";

    public IEnumerable<CorpusCase> Cases() => UntrustedFileFixtures.Disposing(AllCases());

    static IEnumerable<CorpusCase> AllCases() =>
        ConfigCases().Concat(DistilBertConfigCases()).Concat(TokenizerJsonCases()).Concat(SideFileCases()).Concat(IndexCases()).Concat(AdapterCases());

    // ---- config.json ---------------------------------------------------------------------------------------

    static readonly string[] IntFields = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size", "pad_token_id", "num_labels"];
    static readonly string[] NumberFields = ["hidden_dropout_prob", "attention_probs_dropout_prob", "layer_norm_eps", "classifier_dropout"];

    static IEnumerable<CorpusCase> ConfigCases()
    {
        foreach (var field in IntFields)
            foreach (var (type, json) in new[] { ("string", "\"12\""), ("float", "12.5"), ("bool", "true"), ("array", "[12]") })
                yield return ConfigRefused($"config-{field}-as-{type}", j => j[field] = Literal(json), field);
        foreach (var field in NumberFields)
            foreach (var (type, json) in new[] { ("string", "\"0.1\""), ("bool", "false"), ("object", "{\"p\": 0.1}") })
                yield return ConfigRefused($"config-{field}-as-{type}", j => j[field] = Literal(json), field);
        foreach (var (type, json) in new[] { ("number", "1"), ("bool", "true"), ("array", "[\"gelu\"]") })
            yield return ConfigRefused($"config-hidden_act-as-{type}", j => j["hidden_act"] = Literal(json), "hidden_act");
        foreach (var (type, json) in new[] { ("number", "3"), ("array", "[\"bert\"]") })
            yield return ConfigRefused($"config-model_type-as-{type}", j => j["model_type"] = Literal(json), "model_type");
        yield return ConfigRefused("config-architectures-as-string", j => j["architectures"] = "BertModel", "architectures");
        yield return ConfigRefused("config-architectures-item-number", j => j["architectures"] = Literal("[\"BertModel\", 7]"), "architectures[1]");
        yield return ConfigRefused("config-id2label-as-array", j => j["id2label"] = Literal("[\"neg\", \"pos\"]"), "id2label");
        yield return ConfigRefused("config-id2label-value-number", j => j["id2label"] = Literal("{\"0\": \"neg\", \"1\": 1}"), "id2label.1");
        yield return ConfigRefused("config-id2label-key-not-a-number", j => j["id2label"] = Literal("{\"0\": \"neg\", \"one\": \"pos\"}"), "id2label.one");
        yield return ConfigRefused("config-id2label-key-gap", j => j["id2label"] = Literal("{\"0\": \"neg\", \"2\": \"pos\"}"), "id2label.2");
        yield return ConfigRefused("config-id2label-negative-key", j => j["id2label"] = Literal("{\"-1\": \"neg\", \"0\": \"pos\"}"), "id2label.-1");
        yield return CorpusCase.Refused(Category, "config-duplicate-key", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            var path = Path.Combine(folder, "config.json");
            File.WriteAllText(path, File.ReadAllText(path).Replace("{", "{\"hidden_size\": 64, "));
            PretrainedEncoder.Load(folder);
        }, "config.json", "hidden_size");
        yield return CorpusCase.Refused(Category, "config-top-level-array", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            File.WriteAllText(Path.Combine(folder, "config.json"), "[{\"model_type\": \"bert\"}]");
            PretrainedEncoder.Load(folder);
        }, "config.json", "object");
        yield return CorpusCase.Refused(Category, "config-nested-10000-deep", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            File.WriteAllText(Path.Combine(folder, "config.json"), "{\"x\": " + new string('[', 10_000) + new string(']', 10_000) + "}");
            PretrainedEncoder.Load(folder);
        }, "config.json", "depth");
        yield return CorpusCase.Accepted(Category, "config-null-optional-fields-take-defaults", folder =>
        {
            CorpusFixtures.TinyBert(folder, j => { j["classifier_dropout"] = null; j["pad_token_id"] = null; j["architectures"] = null; j["hidden_act"] = null; });
            var loaded = PretrainedEncoder.Load(folder);
            Assert.IsNull(loaded.Config.ClassifierDropout);
            Assert.AreEqual(0, loaded.Config.PadTokenId);
            Assert.AreEqual("gelu", loaded.Config.HiddenAct);
        });
        yield return CorpusCase.Accepted(Category, "config-id2label-keys-out-of-order", folder =>
        {
            CorpusFixtures.TinyBert(folder, j => j["id2label"] = Literal("{\"2\": \"c\", \"0\": \"a\", \"1\": \"b\"}"));
            CollectionAssert.AreEqual(new[] { "a", "b", "c" }, CheckpointFolder.ReadConfig(folder).Labels.ToArray());
        });
    }

    static CorpusCase ConfigRefused(string name, Action<JsonObject> edit, string field) =>
        CorpusCase.Refused(Category, name, folder =>
        {
            CorpusFixtures.TinyBert(folder, edit);
            PretrainedEncoder.Load(folder);
        }, "config.json", field);

    static IEnumerable<CorpusCase> DistilBertConfigCases()
    {
        (string Field, string Json)[] edits =
        [
            ("dropout", "\"0.1\""), ("attention_dropout", "[0.1]"), ("activation", "2"), ("sinusoidal_pos_embds", "\"false\""),
            ("dim", "\"32\""), ("n_layers", "2.0e0"), ("n_heads", "null"), ("hidden_dim", "{}"), ("seq_classif_dropout", "\"0.2\""),
        ];
        foreach (var (field, json) in edits)
            yield return CorpusCase.Refused(Category, $"distilbert-config-{field}-{json.Trim('"', '[', '{')}", folder =>
            {
                var config = TinyModels.DistilBert().ToJson();
                config[field] = Literal(json);
                var path = Path.Combine(folder, "config.json");
                File.WriteAllText(path, config.ToJsonString());
                TransformerConfig.Load(path);
            }, "config.json", field);
    }

    // ---- tokenizer.json ------------------------------------------------------------------------------------

    const string WordPieceTokenizerJson = """
        {"version": "1.0", "added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 2, "content": "[CLS]", "special": true}],
         "normalizer": {"type": "BertNormalizer", "lowercase": true, "strip_accents": null, "handle_chinese_chars": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                   "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "hello": 5, "world": 6, "##x": 7}}}
        """;

    const string BpeTokenizerJson = """
        {"version": "1.0", "added_tokens": [], "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false},
         "model": {"type": "BPE", "vocab": {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "b": 5, "ab": 6, "<mask>": 7}, "merges": ["a b"]}}
        """;

    static string TokenizerFolder(string folder, string tokenizerJson, bool bpe)
    {
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizerJson);
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), bpe
            ? """{"tokenizer_class": "RobertaTokenizer", "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}"""
            : """{"tokenizer_class": "BertTokenizer", "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]"}""");
        return folder;
    }

    static IEnumerable<CorpusCase> TokenizerJsonCases()
    {
        (string Name, bool Bpe, Action<JsonObject> Edit, string Field)[] edits =
        [
            ("no-model", false, j => j.Remove("model"), "model"),
            ("model-as-string", false, j => j["model"] = "WordPiece", "model"),
            ("model-type-number", false, j => j["model"]!["type"] = 3, "model.type"),
            ("no-vocab", false, j => j["model"]!.AsObject().Remove("vocab"), "model.vocab"),
            ("vocab-as-array", false, j => j["model"]!["vocab"] = Literal("[[\"a\", 0.0]]"), "model.vocab"),
            ("vocab-id-string", false, j => j["model"]!["vocab"]!["hello"] = "5", "model.vocab.hello"),
            ("vocab-id-float", false, j => j["model"]!["vocab"]!["hello"] = 5.5, "model.vocab.hello"),
            ("vocab-id-huge", false, j => j["model"]!["vocab"]!["hello"] = Literal("99999999999"), "model.vocab.hello"),
            ("vocab-id-negative", false, j => j["model"]!["vocab"]!["hello"] = -5, "model.vocab.hello"),
            ("max-input-chars-string", false, j => j["model"]!["max_input_chars_per_word"] = "100", "model.max_input_chars_per_word"),
            ("prefix-number", false, j => j["model"]!["continuing_subword_prefix"] = 2, "model.continuing_subword_prefix"),
            ("normalizer-lowercase-string", false, j => j["normalizer"]!["lowercase"] = "yes", "normalizer.lowercase"),
            ("normalizer-as-string", false, j => j["normalizer"] = "BertNormalizer", "normalizer"),
            ("added-tokens-as-object", false, j => j["added_tokens"] = Literal("{\"[PAD]\": 0}"), "added_tokens"),
            ("added-token-no-id", false, j => j["added_tokens"]![0]!.AsObject().Remove("id"), "added_tokens[0].id"),
            ("added-token-id-string", false, j => j["added_tokens"]![1]!["id"] = "2", "added_tokens[1].id"),
            ("added-token-content-number", false, j => j["added_tokens"]![0]!["content"] = 0, "added_tokens[0].content"),
            ("added-token-is-string", false, j => j["added_tokens"]![0] = "[PAD]", "added_tokens[0]"),
            ("bpe-no-merges", true, j => j["model"]!.AsObject().Remove("merges"), "model.merges"),
            ("bpe-merges-as-string", true, j => j["model"]!["merges"] = "a b", "model.merges"),
            ("bpe-merge-number", true, j => j["model"]!["merges"] = Literal("[7]"), "model.merges[0]"),
            ("bpe-merge-three-symbols", true, j => j["model"]!["merges"] = Literal("[\"a b c\"]"), "model.merges[0]"),
            ("bpe-merge-pair-with-number", true, j => j["model"]!["merges"] = Literal("[[\"a\", 1]]"), "model.merges[0][1]"),
            ("bpe-pre-tokenizer-prefix-space-string", true, j => j["pre_tokenizer"]!["add_prefix_space"] = "false", "pre_tokenizer.add_prefix_space"),
        ];
        foreach (var (name, bpe, edit, field) in edits)
            yield return CorpusCase.Refused(Category, "tokenizer-json-" + name, folder =>
            {
                var json = JsonNode.Parse(bpe ? BpeTokenizerJson : WordPieceTokenizerJson)!.AsObject();
                edit(json);
                TransformerTokenizer.FromFolder(TokenizerFolder(folder, json.ToJsonString(), bpe));
            }, "tokenizer.json", field);
        yield return CorpusCase.Refused(Category, "tokenizer-json-unigram-model", folder =>
        {
            var json = """{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.5]]}}""";
            TransformerTokenizer.FromFolder(TokenizerFolder(folder, json, bpe: false));
        }, "tokenizer.json", "Unigram");
        yield return CorpusCase.Refused(Category, "tokenizer-json-duplicate-vocab-token", folder =>
            TransformerTokenizer.FromFolder(TokenizerFolder(folder, WordPieceTokenizerJson.Replace("\"hello\": 5,", "\"hello\": 5, \"hello\": 6,"), bpe: false)),
            "tokenizer.json", "hello");
        yield return CorpusCase.Accepted(Category, "tokenizer-json-wordpiece-reads", folder =>
        {
            var tokenizer = TransformerTokenizer.FromFolder(TokenizerFolder(folder, WordPieceTokenizerJson, bpe: false));
            CollectionAssert.AreEqual(new[] { 2, 5, 6, 3 }, tokenizer.Encode("Hello world").InputIds.ToArray());
        });
    }

    // ---- vocab.json, added_tokens.json, tokenizer_config.json, special_tokens_map.json ----------------------

    static IEnumerable<CorpusCase> SideFileCases()
    {
        (string Name, string File, string Json, string Field)[] bpeFiles =
        [
            ("vocab-json-id-string", "vocab.json", """{"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"a":"4"}""", "a"),
            ("vocab-json-id-null", "vocab.json", """{"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"a":null}""", "a"),
            ("vocab-json-as-array", "vocab.json", """["<s>", "<pad>"]""", "object"),
            ("vocab-json-duplicate-token", "vocab.json", """{"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"a":4,"a":5}""", "a"),
            ("added-tokens-id-string", "added_tokens.json", """{"<new>": "13"}""", "<new>"),
            ("added-tokens-id-float", "added_tokens.json", """{"<new>": 13.5}""", "<new>"),
            ("added-tokens-as-array", "added_tokens.json", """[{"<new>": 13}]""", "object"),
            ("added-tokens-negative-id", "added_tokens.json", """{"<new>": -2}""", "<new>"),
            ("special-tokens-map-pad-number", "special_tokens_map.json", """{"pad_token": 1}""", "pad_token"),
            ("special-tokens-map-mask-no-content", "special_tokens_map.json", """{"mask_token": {"lstrip": true}}""", "mask_token.content"),
            ("special-tokens-map-mask-lstrip-string", "special_tokens_map.json", """{"mask_token": {"content": "<mask>", "lstrip": "true"}}""", "mask_token.lstrip"),
            ("tokenizer-config-add-prefix-space-string", "tokenizer_config.json", """{"tokenizer_class": "RobertaTokenizer", "add_prefix_space": "true"}""", "add_prefix_space"),
            ("tokenizer-config-class-number", "tokenizer_config.json", """{"tokenizer_class": 5}""", "tokenizer_class"),
            ("tokenizer-config-model-max-length-string", "tokenizer_config.json", """{"tokenizer_class": "RobertaTokenizer", "model_max_length": "512"}""", "model_max_length"),
            ("tokenizer-config-decoder-key-word", "tokenizer_config.json", """{"added_tokens_decoder": {"first": {"content": "<s>"}}}""", "added_tokens_decoder.first"),
            ("tokenizer-config-decoder-content-number", "tokenizer_config.json", """{"added_tokens_decoder": {"0": {"content": 0}}}""", "added_tokens_decoder.0.content"),
            ("tokenizer-config-decoder-special-string", "tokenizer_config.json", """{"added_tokens_decoder": {"0": {"content": "<s>", "special": "yes"}}}""", "added_tokens_decoder.0.special"),
        ];
        foreach (var (name, file, json, field) in bpeFiles)
            yield return CorpusCase.Refused(Category, name, folder =>
            {
                using var tiny = TinyTokenizerFolders.ByteLevelBpe();
                foreach (var f in Directory.GetFiles(tiny.Path)) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
                File.WriteAllText(Path.Combine(folder, file), json);
                TransformerTokenizer.FromFolder(folder);
            }, file, field);

        (string Name, string Json, string Field)[] bertTokenizerConfigs =
        [
            ("tokenizer-config-do-lower-case-string", """{"do_lower_case": "false"}""", "do_lower_case"),
            ("tokenizer-config-cls-token-array", """{"cls_token": ["[CLS]"]}""", "cls_token"),
            ("tokenizer-config-strip-accents-number", """{"strip_accents": 0}""", "strip_accents"),
        ];
        foreach (var (name, json, field) in bertTokenizerConfigs)
            yield return CorpusCase.Refused(Category, name, folder =>
            {
                CorpusFixtures.TinyBert(folder);
                File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), json);
                CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(folder), rows: 8);
            }, "tokenizer_config.json", field);
        yield return CorpusCase.Accepted(Category, "tokenizer-config-null-special-token-is-unset", folder =>
        {
            using var tiny = TinyTokenizerFolders.ByteLevelBpe(gpt2: true); // its tokenizer_config.json has "pad_token": null
            var tokenizer = TransformerTokenizer.FromFolder(tiny.Path);
            Assert.AreEqual(2, tokenizer.PadTokenId); // falls back to eos_token </s>, as HF does
        });
    }

    // ---- model.safetensors.index.json ----------------------------------------------------------------------

    static IEnumerable<CorpusCase> IndexCases()
    {
        (string Name, string Json, string Field)[] indexes =
        [
            ("index-no-weight-map", """{"metadata": {}}""", "weight_map"),
            ("index-weight-map-array", """{"weight_map": ["model.safetensors"]}""", "weight_map"),
            ("index-shard-number", """{"weight_map": {"embeddings.word_embeddings.weight": 1}}""", "weight_map.embeddings.word_embeddings.weight"),
            ("index-shard-null", """{"weight_map": {"embeddings.word_embeddings.weight": null}}""", "weight_map.embeddings.word_embeddings.weight"),
            ("index-tensor-in-wrong-shard", """{"weight_map": {"no.such.tensor": "shard-1.safetensors"}}""", "no.such.tensor"),
            ("index-top-level-string", "\"shard-1.safetensors\"", "object"),
            ("index-empty-weight-map", """{"weight_map": {}}""", "weight_map"),
        ];
        foreach (var (name, json, field) in indexes)
            yield return CorpusCase.Refused(Category, name, folder =>
            {
                CorpusFixtures.TinyBert(folder);
                File.Move(Path.Combine(folder, "model.safetensors"), Path.Combine(folder, "shard-1.safetensors"));
                File.WriteAllText(Path.Combine(folder, CheckpointFolder.IndexFile), json);
                PretrainedEncoder.Load(folder);
            }, CheckpointFolder.IndexFile, field);
        yield return CorpusCase.Accepted(Category, "index-valid-single-shard", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            var names = SafetensorsReader.Open(Path.Combine(folder, "model.safetensors")).Entries.Keys;
            File.Move(Path.Combine(folder, "model.safetensors"), Path.Combine(folder, "shard-1.safetensors"));
            var map = new JsonObject();
            foreach (var n in names) map[n] = "shard-1.safetensors";
            File.WriteAllText(Path.Combine(folder, CheckpointFolder.IndexFile), new JsonObject { ["weight_map"] = map }.ToJsonString());
            Assert.AreEqual(0, PretrainedEncoder.Load(folder).Report.Missing.Count);
        });
    }

    // ---- adapter_config.json (LoRA and prompt tuning) ------------------------------------------------------

    static IEnumerable<CorpusCase> AdapterCases()
    {
        (string Field, string Json)[] lora =
        [
            ("r", "\"8\""), ("r", "8.5"), ("lora_alpha", "\"16\""), ("lora_dropout", "\"0.1\""), ("lora_dropout", "true"),
            ("target_modules", "5"), ("target_modules", "[\"query\", 5]"), ("bias", "false"), ("modules_to_save", "\"classifier\""),
            ("use_rslora", "\"true\""), ("use_dora", "\"false\""), ("fan_in_fan_out", "0"), ("rank_pattern", "[]"), ("peft_type", "1"),
            ("init_lora_weights", "3"),
        ];
        foreach (var (field, json) in lora)
            yield return CorpusCase.Refused(Category, $"lora-config-{field}-{json.Trim('"', '[')}", folder =>
            {
                LoraAdapter(folder);
                EditJson(Path.Combine(folder, LoraAdapterConfig.FileName), j => j[field] = Literal(json));
                LoadLora(folder);
            }, "adapter_config.json", field);
        foreach (var (field, json, mention) in new[] { ("r", "0", "Rank"), ("lora_dropout", "1.5", "Dropout"), ("target_modules", "[]", "TargetModules") })
            yield return CorpusCase.Refused(Category, $"lora-config-{field}-out-of-range", folder =>
            {
                LoraAdapter(folder);
                EditJson(Path.Combine(folder, LoraAdapterConfig.FileName), j => j[field] = Literal(json));
                LoadLora(folder);
            }, "adapter_config.json", mention);

        (string Field, string Json)[] prompt =
        [
            ("num_virtual_tokens", "\"4\""), ("num_virtual_tokens", "0"), ("token_dim", "32.5"), ("token_dim", "null"),
            ("task_type", "7"), ("num_layers", "\"2\""), ("num_transformer_submodules", "\"1\""), ("base_model_name_or_path", "[]"),
        ];
        foreach (var (field, json) in prompt)
            yield return CorpusCase.Refused(Category, $"prompt-config-{field}-{json.Trim('"')}", folder =>
            {
                PromptAdapter(folder);
                EditJson(Path.Combine(folder, LoraAdapterConfig.FileName), j => j[field] = Literal(json));
                PromptTuningAdapterFile.Load(folder);
            }, "adapter_config.json", field);
        yield return CorpusCase.Accepted(Category, "lora-config-init-method-name-accepted", folder =>
        {
            LoraAdapter(folder);
            EditJson(Path.Combine(folder, LoraAdapterConfig.FileName), j => j["init_lora_weights"] = "gaussian");
            var model = LoraModel();
            var loaded = LoraAdapterFile.Load(folder, model);
            Assert.IsTrue(loaded.Targets.Count > 0);
        });
    }
}
