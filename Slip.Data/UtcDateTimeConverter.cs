using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Slip.Data;

/// <summary>Keeps every stored DateTime in UTC: local values are converted on write, and values read back carry Kind Utc on every provider.</summary>
/// <remarks>Npgsql rejects non-UTC values for timestamptz, and SQLite stores text with no kind at all; an Unspecified value is taken to be UTC already.</remarks>
internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Local ? v.ToUniversalTime() : DateTime.SpecifyKind(v, DateTimeKind.Utc),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
