using MLNet.FineTune.Modeling.Checkpoints;

namespace MLNet.FineTune.Peft;

/// <summary>Which base checkpoint an adapter was trained on: the folder's name and the sha256 of its weight files.</summary>
internal sealed record BaseModelIdentity(string Name, string WeightsSha256)
{
    /// <summary>The identity of a checkpoint folder (hashes its safetensors files).</summary>
    public static BaseModelIdentity FromFolder(string folder) =>
        new(new DirectoryInfo(Path.TrimEndingDirectorySeparator(folder)).Name, CheckpointFolder.WeightsSha256(folder));
}
