namespace MLNet.FineTune.Benchmarks;

/// <summary>Sizes of one benchmark run. Full: bert-base (12 × 768), batch 16 × 128. Quick: a tiny model, a few steps (smoke check).</summary>
public sealed record BenchmarkSettings(bool Quick, int Warmup, int Steps, int Batch, int SequenceLength)
{
    public static BenchmarkSettings Parse(string[] args)
    {
        bool quick = args.Contains("--quick");
        return new BenchmarkSettings(quick, Flags.Int(args, "--warmup", quick ? 1 : 2), Flags.Int(args, "--steps", quick ? 3 : 10),
            quick ? 2 : 16, quick ? 16 : 128);
    }
}
