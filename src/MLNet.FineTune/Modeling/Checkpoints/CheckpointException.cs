namespace MLNet.FineTune.Modeling.Checkpoints;

/// <summary>A checkpoint file or folder that cannot be read as asked; the message names the file and what was wrong.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message, Exception? inner = null) : base(message, inner) { }
}
