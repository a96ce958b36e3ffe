namespace MLNet.FineTune.Cli.Reports;

/// <summary>Regression metrics: mean squared and absolute error, RMSE, R² and Pearson's r.</summary>
internal static class RegressionReport
{
    public static IReadOnlyDictionary<string, double> Metrics(IReadOnlyList<float> gold, IReadOnlyList<float> predicted)
    {
        int n = gold.Count;
        double mse = 0, mae = 0, meanG = gold.Average(g => (double)g), meanP = predicted.Average(p => (double)p), ssTot = 0, cov = 0, varP = 0;
        for (int i = 0; i < n; i++)
        {
            double e = predicted[i] - gold[i], dg = gold[i] - meanG, dp = predicted[i] - meanP;
            mse += e * e; mae += Math.Abs(e); ssTot += dg * dg; cov += dg * dp; varP += dp * dp;
        }
        return new Dictionary<string, double>
        {
            ["mse"] = mse / n, ["rmse"] = Math.Sqrt(mse / n), ["mae"] = mae / n,
            ["r2"] = ssTot == 0 ? double.NaN : 1 - mse / ssTot,
            ["pearson"] = ssTot == 0 || varP == 0 ? double.NaN : cov / Math.Sqrt(ssTot * varP),
        };
    }
}
