namespace MLNet.FineTune.Tests.Robustness;

/// <summary>
/// One malformed, hostile or careless input from the robustness corpus (issue #12). <see cref="Run"/> does what a user
/// would do with it. The case passes when the outcome matches <see cref="Expect"/>: either a clear error thrown by our
/// own code whose message names every string in <see cref="Expected.MustMention"/>, or normal completion (the run's own
/// assertions then check that what was accepted is correct).
/// </summary>
/// <param name="Category">The cause category, e.g. "json", "ids", "nonfinite"; the test name starts with it.</param>
/// <param name="Name">Short unique description of the input.</param>
/// <param name="Run">Performs the user action. Receives a fresh empty temp folder it may write into.</param>
/// <param name="Expect">What must happen.</param>
internal sealed record CorpusCase(string Category, string Name, Action<string> Run, Expected Expect)
{
    /// <summary>Wall-clock limit; a case that takes longer is reported as a hang.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Managed bytes the case may allocate; bounds what a small hostile input can make us allocate.</summary>
    public long MaxAllocatedBytes { get; init; } = 512L << 20;

    public string Id => $"{Category}/{Name}";

    /// <summary>A case that must fail with a clear error naming each of <paramref name="mustMention"/>.</summary>
    public static CorpusCase Refused(string category, string name, Action<string> run, params string[] mustMention) =>
        new(category, name, run, Expected.Error(mustMention));

    /// <summary>A case that must be accepted; <paramref name="run"/> asserts the result is right.</summary>
    public static CorpusCase Accepted(string category, string name, Action<string> run) =>
        new(category, name, run, Expected.Success);
}

/// <summary>The outcome a <see cref="CorpusCase"/> requires.</summary>
internal sealed record Expected(bool Throws, IReadOnlyList<string> MustMention)
{
    public static readonly Expected Success = new(false, []);

    public static Expected Error(params string[] mustMention) => new(true, mustMention);
}

/// <summary>
/// A group of corpus cases (one class per cause). Implementations are found by reflection, so adding a file of cases
/// needs no registration anywhere else.
/// </summary>
internal interface ICorpusSource
{
    IEnumerable<CorpusCase> Cases();
}
