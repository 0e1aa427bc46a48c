using System.CommandLine;
using System.Text.Json;
using Slip.Training.Datasets;

namespace Slip.Training.Cli;

/// <summary>
/// <c>tokenize --input strings.json --out ids.json</c>: how captions tokenize, as the trainer tokenizes them. Reads a JSON
/// list of strings and writes a JSON list of id rows (context-length long, zero-padded), by default with CLIP's BPE at
/// context 77 and open_clip's truncation.
/// </summary>
internal static class TokenizeVerb
{
    public static Command Create()
    {
        var input = CliOptions.ExistingFile("--input", "A JSON list of strings (captions, prompts).", "Input file", required: true, helpName: "strings.json");
        var output = new Option<string>("--out") { Description = "Where the JSON list of id rows is written.", Required = true, HelpName = "ids.json" };
        var truncation = CliOptions.TruncationRule("What an over-long caption keeps: open_clip (end-of-text last) or reference (the released SLIP code's cut).", Truncation.OpenClip);
        var tokenizer = new Option<string>("--tokenizer") { Description = "clip-bpe or byte.", DefaultValueFactory = _ => EnumNames.Of(Tokenizer.ClipBpe) };
        tokenizer.AcceptOnlyFromAmong([.. EnumNames.All<Tokenizer>()]);
        var context = CliOptions.Number<int>("--context", "Tokens per row, start and end included (default 77).", "a whole number from 4 to 512", n => n is >= 4 and <= 512);
        var bpeVocabulary = CliOptions.BpeVocabulary();
        var command = new Command("tokenize", "Tokenize a JSON list of strings into a JSON list of id rows.") { input, output, truncation, tokenizer, context, bpeVocabulary };
        command.SetAction(parsed =>
        {
            List<string>? strings;
            try
            {
                strings = JsonSerializer.Deserialize<List<string>>(File.ReadAllText(parsed.GetRequiredValue(input)));
            }
            catch (JsonException ex)
            {
                Console.Error.WriteLine($"{parsed.GetRequiredValue(input)}: not a JSON list of strings ({ex.Message}).");
                return ExitCodes.Usage;
            }

            EnumNames.TryParse<Tokenizer>(parsed.GetValue(tokenizer), out var kind);
            var config = new RunConfig { Text = new TextConfig { Tokenizer = kind, Truncation = CliOptions.TruncationOf(parsed, truncation) ?? Truncation.OpenClip } };
            var rows = Tokenizers.Create(config, CliOptions.BpeVocabularyPath(parsed, bpeVocabulary));
            var length = parsed.GetValue(context) ?? 77;
            File.WriteAllText(parsed.GetRequiredValue(output), JsonSerializer.Serialize((strings ?? []).Select(s => rows.Tokenize(s, length))));
            return ExitCodes.Completed;
        });
        return command;
    }
}
