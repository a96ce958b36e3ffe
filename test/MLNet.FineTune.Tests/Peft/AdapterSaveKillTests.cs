using System.Diagnostics;
using MLNet.FineTune.Peft;
using MLNet.FineTune.Tests.Persistence;
using static TorchSharp.torch;

namespace MLNet.FineTune.Tests.Peft;

/// <summary>
/// The fresh-process helper's "save-adapter-loop" mode: saves two different LoRA adapters into one folder, turn
/// about, until killed. Public so that the helper (test/MLNet.FineTune.FreshProcess) can call it.
/// </summary>
public static class AdapterSaveLoop
{
    /// <summary>Saves forever; prints "saving" once the first save is complete.</summary>
    public static void Run(string folder)
    {
        var (a, b) = (Lora(0.25f), Lora(0.5f));
        LoraAdapterFile.Save(folder, a);
        Console.WriteLine("saving");
        Console.Out.Flush();
        for (long i = 0; ; i++) LoraAdapterFile.Save(folder, i % 2 == 0 ? b : a);
    }

    /// <summary>A LoRA model on the tiny encoder whose trainable weights all hold <paramref name="shift"/>.</summary>
    internal static PeftModel Lora(float shift)
    {
        var (_, _, model) = PeftTestModels.Pair(new PeftOptions { Method = PeftMethod.Lora });
        using (no_grad()) foreach (var p in model.TrainableParameters()) p.fill_(shift);
        return model;
    }

    /// <summary>Loads <paramref name="folder"/> into a fresh model and returns the value its LoRA A weights hold.</summary>
    internal static float LoadedShift(string folder)
    {
        var model = Lora(0f);
        LoraAdapterFile.Load(folder, model);
        using var mean = model.Lora!.Layers.Values.First().LoraA("default").weight!.mean();
        return mean.item<float>();
    }
}

[TestClass]
[TestCategory("Integration")]
[DoNotParallelize]
public class AdapterSaveKillTests
{
    /// <summary>Issue #12 item 9: before adapter folders were written as a whole, 1 of 10 kills left the adapter unreadable.</summary>
    [TestMethod]
    public void AdapterSavesKilledWithSigkillAlwaysLeaveAReadableAdapter()
    {
        var dir = Directory.CreateTempSubdirectory("mlnft-adapter-kill").FullName;
        var adapter = Path.Combine(dir, "adapter");
        var dll = FreshProcessTests.HelperDll();
        var random = new Random(12);
        try
        {
            for (int kill = 0; kill < 10; kill++)
            {
                using var process = Process.Start(new ProcessStartInfo("dotnet", $"\"{dll}\" save-adapter-loop \"{adapter}\"")
                    { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
                var stderr = process.StandardError.ReadToEndAsync();
                Assert.AreEqual("saving", process.StandardOutput.ReadLine(), $"the helper did not start saving: {(process.HasExited ? stderr.Result : "")}");
                Thread.Sleep(random.Next(0, 300));
                process.Kill(); // SIGKILL: no cleanup runs
                process.WaitForExit();
                float shift = AdapterSaveLoop.LoadedShift(adapter);
                Assert.IsTrue(shift is 0.25f or 0.5f, $"kill {kill}: the adapter holds {shift}, neither saved adapter");
            }
            AdapterSaveLoop.LoadedShift(adapter);
            LoraAdapterFile.Save(adapter, AdapterSaveLoop.Lora(0.25f));
            CollectionAssert.AreEqual(new[] { "adapter" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).ToArray(), "temp and backup folders of killed saves are deleted");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
