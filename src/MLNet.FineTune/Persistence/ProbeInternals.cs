namespace MLNet.FineTune.Persistence;
internal static class ProbeInternals
{
    internal static Microsoft.ML.VersionInfo Probe() => new Microsoft.ML.VersionInfo("ABCDEFGH", 0x10001, 0x10001, 0x10001, "x", "y");
}
