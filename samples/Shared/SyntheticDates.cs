using System.Globalization;

namespace MLNet.FineTune.Samples;

/// <summary>A free-form date and its ISO 8601 form, as the date-normalising sample trains on them.</summary>
public sealed class DateRow
{
    public string Prompt { get; set; } = "";
    public string Completion { get; set; } = "";
}

/// <summary>
/// Free-form English dates and their ISO form (<c>"the third of march 2021"</c> → <c>"2021-03-03"</c>), written by
/// MLNet.FineTune itself (nothing is downloaded): twelve surface forms — month names in full or abbreviated, in any
/// case, ordinals in digits ("3rd") or words ("twenty-first"), US numeric dates with 4- or 2-digit years (50–99 →
/// 19xx, 00–49 → 20xx), dotted and day-first forms, with or without the weekday — over 1950–2049. A model must learn
/// month names, number words and digit copying; no single rule covers it. Deterministic for a given seed.
/// </summary>
public static class SyntheticDates
{
    static readonly string[] Ones = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
        "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"];

    /// <summary>The number of surface forms <see cref="Format"/> knows.</summary>
    public const int Forms = 12;

    /// <summary>The prompt the model sees for a free-form date (the completion is the ISO date).</summary>
    public static string PromptFor(string freeForm) => $"Date: {freeForm}\nISO:";

    /// <summary>
    /// <paramref name="count"/> rows drawn with <paramref name="seed"/>; the same seed gives the same rows. Surface forms
    /// are the first <paramref name="forms"/>, or only those listed in <paramref name="onlyForms"/>.
    /// </summary>
    public static List<DateRow> Generate(int count, int seed, int forms = Forms, IReadOnlyList<int>? onlyForms = null)
    {
        var random = new Random(seed);
        var start = new DateTime(1950, 1, 1);
        int days = (new DateTime(2049, 12, 31) - start).Days + 1;
        var rows = new List<DateRow>(count);
        for (int i = 0; i < count; i++)
        {
            var date = start.AddDays(random.Next(days));
            rows.Add(new DateRow { Prompt = PromptFor(Format(date, onlyForms is null ? random.Next(forms) : onlyForms[random.Next(onlyForms.Count)], random)), Completion = " " + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) });
        }
        return rows;
    }

    /// <summary>The date in surface form <paramref name="form"/> (0 to <see cref="Forms"/> − 1); <paramref name="random"/> picks the letter case.</summary>
    public static string Format(DateTime d, int form, Random random)
    {
        var c = CultureInfo.InvariantCulture;
        string month = d.ToString("MMMM", c), mon = d.ToString("MMM", c), year = d.Year.ToString(c), yy = d.ToString("yy", c);
        string text = form switch
        {
            0 => $"{month} {Ordinal(d.Day)}, {year}",                         // March 3rd, 2021
            1 => $"{d.Month}/{d.Day}/{yy}",                                    // 3/3/21
            2 => $"the {Words(d.Day)} of {month} {year}",                      // the third of March 2021
            3 => $"{d.Day} {month} {year}",                                    // 3 March 2021
            4 => $"{mon} {d.Day} {year}",                                      // Mar 3 2021
            5 => $"{d.Month}/{d.Day}/{year}",                                  // 3/3/2021
            6 => $"{d.ToString("dddd", c)}, {month} {d.Day}, {year}",          // Wednesday, March 3, 2021
            7 => $"{d.Day:00}-{mon}-{year}",                                   // 03-Mar-2021
            8 => $"{year}.{d.Month:00}.{d.Day:00}",                            // 2021.03.03
            9 => $"{month} {Words(d.Day)}, {year}",                            // March third, 2021
            10 => $"{Ordinal(d.Day)} of {mon} {yy}",                           // 3rd of Mar 21
            _ => $"{month} {d.Day} '{yy}",                                     // March 3 '21
        };
        return random.Next(3) switch { 0 => text.ToLowerInvariant(), 1 => text, _ => text.Length > 0 ? char.ToUpperInvariant(text[0]) + text[1..] : text };
    }

    static string Ordinal(int n) => n + (n % 100 is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });

    static string Words(int n) => n switch
    {
        < 20 => Ones[n],
        20 => "twentieth",
        < 30 => "twenty-" + Ones[n - 20],
        30 => "thirtieth",
        _ => "thirty-" + Ones[n - 30],
    };

    /// <summary>Fraction of <paramref name="rows"/> whose generated text equals the expected completion (both trimmed).</summary>
    public static double ExactMatch(IReadOnlyList<DateRow> rows, IReadOnlyList<string> generated) =>
        rows.Count == 0 ? 0 : rows.Where((r, i) => r.Completion.Trim() == generated[i].Trim()).Count() / (double)rows.Count;
}
