using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.FineTune.Modeling.Checkpoints;
using MLNet.FineTune.Peft;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// Issue #12 item 11: a trainable-only zip (LoRA adapters and heads, no base weights) loads only onto the exact base it
/// was trained on, also when the registered folder's weights change after registration.
/// </summary>
internal sealed class TrainableOnlyCases : ICorpusSource
{
    /// <summary>The tiny base checkpoint's files and a trainable-only LoRA zip trained on it, made once.</summary>
    static readonly Lazy<(Dictionary<string, byte[]> Base, byte[] Zip, float[] Scores)> fixture = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnft-corpus-trainable-base-" + Guid.NewGuid().ToString("N"), "tiny-bert");
        try
        {
            CorpusFixtures.TinyBert(folder);
            var options = CorpusFixtures.OnCheckpoint(folder) with { Peft = new PeftOptions { Method = PeftMethod.Lora }, WeightsInZip = ModelWeights.TrainableOnly };
            var ml = new MLContext(seed: 1);
            var data = CorpusFixtures.Sentiment(ml, 24);
            var model = ml.Transforms.FineTune(options).Fit(data);
            using var stream = new MemoryStream();
            ml.Model.Save(model, data.Schema, stream);
            var scores = model.Transform(CorpusFixtures.Sentiment(ml, 6)).GetColumn<float>("Probability").ToArray();
            return (Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), stream.ToArray(), scores);
        }
        finally { Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true); }
    });

    /// <summary>Writes the base into <paramref name="folder"/>/tiny-bert (the name recorded in the zip) and the zip beside it.</summary>
    static (string Base, string Zip) Prepare(string folder)
    {
        var baseFolder = Path.Combine(folder, "tiny-bert");
        Directory.CreateDirectory(baseFolder);
        foreach (var (name, bytes) in fixture.Value.Base) File.WriteAllBytes(Path.Combine(baseFolder, name), bytes);
        var zip = Path.Combine(folder, "small.zip");
        File.WriteAllBytes(zip, fixture.Value.Zip);
        return (baseFolder, zip);
    }

    /// <summary>Registers the base, applies <paramref name="change"/> to it, loads the zip; always unregisters (the registry is process-wide).</summary>
    static ITransformer RegisterChangeLoad(string folder, Action<string> change, bool register = true)
    {
        var (baseFolder, zip) = Prepare(folder);
        try
        {
            if (register) FineTuneModels.RegisterBaseModelFolder(baseFolder);
            change(baseFolder);
            return new MLContext(1).Model.LoadChecked(zip, out _);
        }
        finally { if (Directory.Exists(baseFolder) || register) FineTuneModels.UnregisterBaseModelFolder(baseFolder); }
    }

    static void AssertScoresAsTrained(ITransformer model)
    {
        var ml = new MLContext(1);
        var scores = model.Transform(CorpusFixtures.Sentiment(ml, 6)).GetColumn<float>("Probability").ToArray();
        CollectionAssert.AreEqual(fixture.Value.Scores, scores);
    }

    static void RewriteWeights(string baseFolder, Action<Dictionary<string, TorchSharp.torch.Tensor>> edit)
    {
        var path = Path.Combine(baseFolder, "model.safetensors");
        var tensors = SafetensorsReader.Open(path).ReadAll();
        edit(tensors);
        SafetensorsWriter.Save(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
    }

    public IEnumerable<CorpusCase> Cases()
    {
        const string C = "trainable-only";
        yield return CorpusCase.Accepted(C, "registered-unchanged-base-loads", folder => AssertScoresAsTrained(RegisterChangeLoad(folder, _ => { })));
        yield return CorpusCase.Accepted(C, "base-touched-after-registration-same-bytes-loads", folder => AssertScoresAsTrained(RegisterChangeLoad(folder,
            b => File.SetLastWriteTimeUtc(Path.Combine(b, "model.safetensors"), DateTime.UtcNow.AddMinutes(5)))));
        yield return CorpusCase.Accepted(C, "base-rewritten-with-identical-bytes-loads", folder => AssertScoresAsTrained(RegisterChangeLoad(folder,
            b => File.WriteAllBytes(Path.Combine(b, "model.safetensors"), File.ReadAllBytes(Path.Combine(b, "model.safetensors"))))));
        yield return CorpusCase.Refused(C, "base-weights-fine-tuned-in-place-after-registration", folder => RegisterChangeLoad(folder,
            b => RewriteWeights(b, t => { foreach (var v in t.Values) v.add_(0.01f); })), "tiny-bert", "changed after registration", "model.safetensors");
        yield return CorpusCase.Refused(C, "base-one-tensor-changed-after-registration", folder => RegisterChangeLoad(folder,
            b => RewriteWeights(b, t => t.Values.First().add_(1f))), "changed after registration", "sha256");
        yield return CorpusCase.Refused(C, "base-weights-replaced-by-another-checkpoint-after-registration", folder => RegisterChangeLoad(folder, b =>
        {
            var other = Path.Combine(folder, "other");
            CorpusFixtures.TinyBert(other);
            File.Copy(Path.Combine(other, "model.safetensors"), Path.Combine(b, "model.safetensors"), overwrite: true);
            File.SetLastWriteTimeUtc(Path.Combine(b, "model.safetensors"), DateTime.UtcNow.AddSeconds(3));
        }), "changed after registration");
        yield return CorpusCase.Refused(C, "base-weights-deleted-after-registration", folder => RegisterChangeLoad(folder,
            b => File.Delete(Path.Combine(b, "model.safetensors"))), "tiny-bert", "no longer holds its weights");
        yield return CorpusCase.Refused(C, "base-folder-deleted-after-registration", folder => RegisterChangeLoad(folder,
            b => Directory.Delete(b, recursive: true)), "tiny-bert", "no longer holds its weights");
        yield return CorpusCase.Refused(C, "base-weights-truncated-after-registration", folder => RegisterChangeLoad(folder, b =>
        {
            var path = Path.Combine(b, "model.safetensors");
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..1000]);
        }), "changed after registration");
        yield return CorpusCase.Refused(C, "base-never-registered", folder => RegisterChangeLoad(folder, _ => { }, register: false),
            "tiny-bert", "RegisterBaseModelFolder");
        yield return CorpusCase.Refused(C, "another-base-of-the-same-name-registered", folder =>
        {
            var (_, zip) = Prepare(folder);
            var impostor = Path.Combine(folder, "elsewhere", "tiny-bert");
            CorpusFixtures.TinyBert(impostor);
            FineTuneModels.RegisterBaseModelFolder(impostor);
            try { new MLContext(1).Model.LoadChecked(zip, out _); }
            finally { FineTuneModels.UnregisterBaseModelFolder(impostor); }
        }, "small.zip", "holds different weights");
    }
}
