using static TorchSharp.torch;

Console.WriteLine(ones(2, 2).sum().item<float>());
