namespace Slip.Data;

/// <summary>One logged scalar (a loss, a learning rate, an accuracy) of a run at a step.</summary>
public class MetricPoint
{
    public long Id { get; set; }

    public long RunId { get; set; }

    public string Name { get; set; } = "";

    public long Step { get; set; }

    public double Epoch { get; set; }

    public double Value { get; set; }

    public DateTime Time { get; set; }
}
