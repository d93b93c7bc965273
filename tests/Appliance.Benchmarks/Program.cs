using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Appliance.Benchmarks -- --filter '*'   (or a class name)
BenchmarkSwitcher.FromAssembly(typeof(Appliance.Benchmarks.CannedHandler).Assembly).Run(args);
