using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.ApachePolicyBenchmarks).Assembly).Run(args);
