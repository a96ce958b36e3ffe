using Microsoft.ML.Data;
using MLNet.FineTune.Modeling;

namespace MLNet.FineTune.Tests.Robustness;

/// <summary>Cases that passed before the hardening pass; they keep the corpus harness honest.</summary>
internal sealed class SeedCases : ICorpusSource
{
    public IEnumerable<CorpusCase> Cases()
    {
        yield return CorpusCase.Refused("checkpoint", "safetensors-truncated-to-5-bytes", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            var path = Path.Combine(folder, "model.safetensors");
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..5]);
            PretrainedEncoder.Load(folder);
        }, "model.safetensors", "truncated");
        yield return CorpusCase.Accepted("checkpoint", "tiny-bert-fine-tunes-and-scores", folder =>
        {
            CorpusFixtures.TinyBert(folder);
            var model = CorpusFixtures.Fit(CorpusFixtures.OnCheckpoint(folder));
            var ml = new Microsoft.ML.MLContext(1);
            var probabilities = model.Transform(CorpusFixtures.Sentiment(ml, 8)).GetColumn<float>("Probability").ToArray();
            Assert.AreEqual(8, probabilities.Length);
            Assert.IsTrue(probabilities.All(float.IsFinite));
        });
    }
}
