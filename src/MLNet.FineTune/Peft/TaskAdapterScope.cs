namespace MLNet.FineTune.Peft;

/// <summary>
/// The per-task adapter the current thread computes with (<see cref="PeftOptions.AdapterPerTask"/>). Thread-local rather than
/// a field of the layers, so several threads can score one model at once, each with its own task's adapter.
/// </summary>
internal static class TaskAdapterScope
{
    [ThreadStatic] static string? current;

    /// <summary>The adapter chosen on this thread, or null (layers then use their own active adapters).</summary>
    public static string? Current => current;

    /// <summary>Chooses <paramref name="adapter"/> on this thread until disposed (scopes nest).</summary>
    public static IDisposable Use(string adapter)
    {
        var previous = current;
        current = adapter;
        return new Restore(previous);
    }

    sealed class Restore(string? previous) : IDisposable
    {
        bool done;
        public void Dispose()
        {
            if (done) return;
            done = true;
            current = previous;
        }
    }
}
