namespace Slip.Web.Api;

/// <summary>The answer to a POST that creates something: its id (the Location header has its URL).</summary>
public sealed record CreatedId(long Id);
