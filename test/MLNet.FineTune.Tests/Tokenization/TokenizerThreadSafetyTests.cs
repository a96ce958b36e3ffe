using MLNet.FineTune.Tokenization;

namespace MLNet.FineTune.Tests.Tokenization;

/// <summary>
/// Issue #12 item 1: one tokenizer is shared by every scoring thread. 16 threads (more than this machine's cores)
/// encoding through one tokenizer give exactly what one thread gives.
/// </summary>
[TestClass]
public class TokenizerThreadSafetyTests
{
    public static IEnumerable<object[]> Kinds => UnicodeRobustnessTests.Kinds;

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void SixteenThreadsSharingATokenizerMatchOneThread(string kind)
    {
        var random = new Random(5);
        // Many distinct words, so the BPE word cache is written from every thread at once.
        var texts = Enumerable.Range(0, 200).Select(i => i % 4 == 0 ? HostileStrings.Random(random, 120)
            : string.Join(" ", Enumerable.Range(0, 12).Select(_ => new string((char)random.Next('a', 'f'), random.Next(1, 9)) + random.Next(1000)))).ToArray();
        using var expectedFolder = new TempFolder();
        var reference = UnicodeRobustnessTests.Load(kind, expectedFolder);
        var expected = texts.Select(t => reference.Encode(t, maxLength: 512).InputIds).ToArray();

        using var sharedFolder = new TempFolder();
        var shared = UnicodeRobustnessTests.Load(kind, sharedFolder);
        var actual = new int[texts.Length][];
        using var start = new Barrier(16);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, 16).Select(t => new Thread(() =>
        {
            try { EncodeAll(t); } catch (Exception e) { errors.Enqueue(e); }
        })).ToList();
        void EncodeAll(int t)
        {
            start.SignalAndWait();
            for (int round = 0; round < 2; round++)
                for (int i = (t * 7 + round) % texts.Length, n = 0; n < texts.Length; n++, i = (i + 1) % texts.Length)
                {
                    var ids = shared.Encode(texts[i], maxLength: 512).InputIds;
                    if (t == 0 && round == 1) actual[i] = ids;
                    else if (!ids.SequenceEqual(expected[i])) throw new InvalidOperationException($"thread {t}: text {i} encoded differently");
                }
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.IsTrue(errors.IsEmpty, string.Join("\n", errors));
        for (int i = 0; i < texts.Length; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"text {i}");
    }
}
