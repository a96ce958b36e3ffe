using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.FineTune.Samples;
using MLNet.FineTune.Training;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 8: resuming fine-tuning from a damaged or foreign checkpoint. Each damaged file is refused with the
/// checkpoint's path (or the file's) and why, before training continues on garbage; a checkpoint of another model
/// size or other data of the same size is refused by the shape hash and data fingerprint recorded in it.
/// </summary>
internal sealed class CheckpointResumeCases : ICorpusSource
{
    const int Rows = 48;

    /// <summary>Options writing a checkpoint after every step into <paramref name="root"/> (and resuming from it when asked).</summary>
    internal static FineTuneOptions WithCheckpoints(string root, bool resume, FineTuneOptions? options = null)
    {
        options ??= CorpusFixtures.Quick;
        return options with
        {
            Training = (options.Training ?? new()) with
            {
                CheckpointFolder = root, CheckpointEverySteps = 1, KeepLastCheckpoints = 1, ResumeFromLatestCheckpoint = resume,
            },
        };
    }

    /// <summary>A checkpoint folder written by a completed tiny run, made once and copied into each case.</summary>
    static readonly Lazy<string> pristine = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "mlnft-corpus-pristine-checkpoints-" + Environment.ProcessId);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        CorpusFixtures.Fit(WithCheckpoints(root, resume: false), Rows);
        return root;
    });

    /// <summary>Copies the pristine checkpoints to <paramref name="folder"/>/checkpoints; returns (root, the checkpoint folder).</summary>
    internal static (string Root, string Checkpoint) CopyCheckpoint(string folder)
    {
        var root = Path.Combine(folder, "checkpoints");
        foreach (var dir in Directory.GetDirectories(pristine.Value))
        {
            var to = Path.Combine(root, Path.GetFileName(dir));
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(dir)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        return (root, Directory.GetDirectories(root).Single());
    }

    /// <summary>Fits again with resuming on; <paramref name="options"/> and <paramref name="data"/> default to the pristine run's.</summary>
    internal static FineTuneTransformer Resume(string root, FineTuneOptions? options = null, Func<MLContext, IDataView>? data = null)
    {
        var ml = new MLContext(seed: 1);
        return ml.Transforms.FineTune(WithCheckpoints(root, resume: true, options)).Fit(data?.Invoke(ml) ?? CorpusFixtures.Sentiment(ml, Rows));
    }

    static CorpusCase Damaged(string name, string file, Action<string> damage, params string[] mention) =>
        CorpusCase.Refused("resume", name, folder =>
        {
            var (root, checkpoint) = CopyCheckpoint(folder);
            damage(Path.Combine(checkpoint, file));
            Resume(root);
        }, [file, .. mention]);

    static void EditState(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    static void Truncate(string path, double fraction) => File.WriteAllBytes(path, File.ReadAllBytes(path)[..(int)(new FileInfo(path).Length * fraction)]);

    static void WritePlan(string path, params int[][] batches)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(batches.Length);
        foreach (var batch in batches)
        {
            writer.Write(batch.Length);
            foreach (var i in batch) writer.Write(i);
        }
    }

    static int[][] ReadPlan(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        var plan = new int[reader.ReadInt32()][];
        for (int b = 0; b < plan.Length; b++)
        {
            plan[b] = new int[reader.ReadInt32()];
            for (int i = 0; i < plan[b].Length; i++) plan[b][i] = reader.ReadInt32();
        }
        return plan;
    }

    public IEnumerable<CorpusCase> Cases()
    {
        const string State = "trainer_state.json";
        yield return Damaged("state-not-json", State, p => File.WriteAllText(p, "{ this is not json"), "not a valid trainer state");
        yield return Damaged("state-empty-file", State, p => File.WriteAllBytes(p, []), "not a valid trainer state");
        yield return Damaged("state-json-null", State, p => File.WriteAllText(p, "null"), "null");
        yield return Damaged("state-json-array", State, p => File.WriteAllText(p, "[1, 2, 3]"), "not a valid trainer state");
        yield return Damaged("state-truncated", State, p => Truncate(p, 0.5), "not a valid trainer state");
        // Every integer field given a string, a fraction and a huge number: wrong JSON types name the field.
        foreach (var field in new[] { "GlobalStep", "Epoch", "BatchInEpoch", "BatchSize", "ExampleCount", "SchedulerStep" })
        {
            yield return Damaged($"state-{field}-as-string", State, p => EditState(p, j => j[field] = "three"), field);
            yield return Damaged($"state-{field}-fraction", State, p => EditState(p, j => j[field] = 2.5), field);
        }
        foreach (var field in new[] { "GlobalStep", "Epoch", "BatchInEpoch", "SchedulerStep", "EvaluationsWithoutImprovement" })
            yield return Damaged($"state-{field}-negative", State, p => EditState(p, j => j[field] = -1), field, "-1");
        yield return Damaged("state-BatchInEpoch-past-the-epoch", State, p => EditState(p, j => j["BatchInEpoch"] = 999), "BatchInEpoch 999");
        yield return Damaged("state-FormatVersion-from-the-future", State, p => EditState(p, j => j["FormatVersion"] = 99), "FormatVersion 99");
        yield return Damaged("state-TaskSampling-undefined", State, p => EditState(p, j => j["TaskSampling"] = 42), "TaskSampling 42");
        yield return Damaged("state-Steps-null", State, p => EditState(p, j => j["Steps"] = null), "Steps");
        yield return Damaged("state-Steps-a-number", State, p => EditState(p, j => j["Steps"] = 7), "Steps");
        yield return Damaged("state-Evaluations-object", State, p => EditState(p, j => j["Evaluations"] = new JsonObject()), "Evaluations");

        const string Model = "model.bin";
        yield return Damaged("model-truncated-to-half", Model, p => Truncate(p, 0.5), "truncated");
        yield return Damaged("model-truncated-to-40-bytes", Model, p => Truncate(p, 40.0 / new FileInfo(p).Length), "truncated");
        yield return Damaged("model-empty-file", Model, p => File.WriteAllBytes(p, []), "not a weights file");
        yield return Damaged("model-garbage", Model, p => File.WriteAllBytes(p, Enumerable.Range(0, 5000).Select(i => (byte)(i * 77 % 253)).ToArray()), "not a weights file");
        yield return Damaged("model-tensor-count-huge", Model, p =>
        {
            var bytes = File.ReadAllBytes(p);
            BitConverter.TryWriteBytes(bytes.AsSpan(1 + "MLNet.FineTune.Weights.v1".Length), int.MaxValue);
            File.WriteAllBytes(p, bytes);
        }, "2147483647");
        yield return Damaged("model-first-dimension-huge", Model, p =>
        {
            // After the header and the first name: dtype (1 byte), rank (1 byte), first dimension (LEB128): make it 2^62.
            var bytes = File.ReadAllBytes(p).ToList();
            int at = 1 + "MLNet.FineTune.Weights.v1".Length + 4;
            at += 1 + bytes[at] + 2;
            int old = 1; while ((bytes[at + old - 1] & 0x80) != 0) old++;
            bytes.RemoveRange(at, old);
            bytes.InsertRange(at, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
            File.WriteAllBytes(p, bytes.ToArray());
        }, "dimension");

        const string Optimizer = "optimizer.bin";
        yield return Damaged("optimizer-truncated", Optimizer, p => Truncate(p, 0.6), "truncated");
        yield return Damaged("optimizer-empty-file", Optimizer, p => File.WriteAllBytes(p, []));
        yield return Damaged("optimizer-garbage", Optimizer, p => File.WriteAllText(p, "garbage garbage garbage"));

        const string Rng = "rng.bin";
        yield return Damaged("rng-garbage", Rng, p => File.WriteAllBytes(p, Enumerable.Range(0, 64).Select(i => (byte)(255 - i)).ToArray()), "random generator");
        yield return Damaged("rng-truncated", Rng, p => Truncate(p, 0.5), "random generator");
        yield return Damaged("rng-empty-file", Rng, p => File.WriteAllBytes(p, []), "random generator");
        yield return Damaged("rng-a-float-tensor", Rng, p =>
        {
            using var writer = new BinaryWriter(File.Create(p));
            TorchSharp.TensorExtensionMethods.Save(TorchSharp.torch.ones(3), writer);
        }, "random generator", "Float32[3]");

        const string Order = "data_order.bin";
        yield return Damaged("order-index-out-of-range", Order, p => { var plan = ReadPlan(p); plan[0][0] = 10_000; WritePlan(p, plan); }, "10000", "outside");
        yield return Damaged("order-negative-index", Order, p => { var plan = ReadPlan(p); plan[^1][^1] = -3; WritePlan(p, plan); }, "-3", "outside");
        yield return Damaged("order-not-a-permutation", Order, p => { var plan = ReadPlan(p); plan[0][1] = plan[0][0]; WritePlan(p, plan); }, "twice", "permutation");
        yield return Damaged("order-one-batch-missing", Order, p => WritePlan(p, ReadPlan(p)[1..]), "batches");
        yield return Damaged("order-batch-larger-than-batch-size", Order, p => { var plan = ReadPlan(p); plan[0] = [.. plan[0], .. plan[1]]; plan[1] = [plan[1][0]]; WritePlan(p, plan); }, "batch 0");
        yield return Damaged("order-batch-size-negative", Order, p => { var bytes = File.ReadAllBytes(p); BitConverter.TryWriteBytes(bytes.AsSpan(4), -1); File.WriteAllBytes(p, bytes); }, "-1");
        yield return Damaged("order-truncated", Order, p => Truncate(p, 0.5), "data order");
        yield return Damaged("order-empty-file", Order, p => File.WriteAllBytes(p, []), "truncated");
        yield return Damaged("order-trailing-bytes", Order, p => File.AppendAllText(p, "xyz"), "3 bytes follow");

        // Foreign checkpoints: another model, other data of the same size, another size of data.
        yield return CorpusCase.Refused("resume", "another-model-size", folder =>
        {
            var (root, _) = CopyCheckpoint(folder);
            var quick = CorpusFixtures.Quick;
            Resume(root, quick with { BuiltInModel = quick.BuiltInModel! with { HiddenSize = 48 } });
        }, "checkpoint-", "another shape");
        yield return CorpusCase.Refused("resume", "another-data-set-same-size-labels-flipped", folder =>
        {
            var (root, _) = CopyCheckpoint(folder);
            Resume(root, data: ml => ml.Data.LoadFromEnumerable(SyntheticSentiment.Generate(Rows, 3).Select(r => new SentimentRow { Text = r.Text, Label = !r.Label })));
        }, "checkpoint-", "other data", "fingerprint");
        yield return CorpusCase.Refused("resume", "another-data-set-same-size-texts-reversed", folder =>
        {
            var (root, _) = CopyCheckpoint(folder);
            Resume(root, data: ml => ml.Data.LoadFromEnumerable(Enumerable.Reverse(SyntheticSentiment.Generate(Rows, 3)).ToList()));
        }, "checkpoint-", "other data");
        yield return CorpusCase.Refused("resume", "another-data-size", folder =>
        {
            var (root, _) = CopyCheckpoint(folder);
            Resume(root, data: ml => CorpusFixtures.Sentiment(ml, Rows + 16));
        }, "checkpoint-", "example count");
        foreach (var (field, says) in new[] { ("ModelShape", "another shape"), ("DataFingerprint", "other data") })
            yield return CorpusCase.Refused("resume", $"state-{field}-edited", folder =>
            {
                var (root, checkpoint) = CopyCheckpoint(folder);
                EditState(Path.Combine(checkpoint, State), j => j[field] = new string('0', 64));
                Resume(root);
            }, "checkpoint-", says);

        yield return CorpusCase.Accepted("resume", "intact-checkpoint-resumes", folder =>
        {
            var (root, checkpoint) = CopyCheckpoint(folder);
            var model = Resume(root);
            Assert.AreEqual(int.Parse(Path.GetFileName(checkpoint)["checkpoint-".Length..]), model.History.ResumedFromStep);
        });
        yield return CorpusCase.Accepted("resume", "format-1-checkpoint-without-fingerprints-still-resumes", folder =>
        {
            // Checkpoints written before format 2 lack the shape hash and data fingerprint: accepted (weights are still
            // checked tensor by tensor), so an upgrade does not strand a run in progress.
            var (root, checkpoint) = CopyCheckpoint(folder);
            EditState(Path.Combine(checkpoint, State), j => { j["FormatVersion"] = 1; j.Remove("ModelShape"); j.Remove("ModelShapeSummary"); j.Remove("DataFingerprint"); });
            var model = Resume(root);
            Assert.IsNotNull(model.History.ResumedFromStep);
        });
        yield return CorpusCase.Refused("resume", "format-1-checkpoint-of-another-model-size", folder =>
        {
            var (root, checkpoint) = CopyCheckpoint(folder);
            EditState(Path.Combine(checkpoint, State), j => { j["FormatVersion"] = 1; j.Remove("ModelShape"); j.Remove("ModelShapeSummary"); j.Remove("DataFingerprint"); });
            var quick = CorpusFixtures.Quick;
            Resume(root, quick with { BuiltInModel = quick.BuiltInModel! with { IntermediateSize = 96 } });
        }, "model.bin", "another shape");
    }
}
