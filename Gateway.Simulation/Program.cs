using Gateway.Simulation.Output;
using Gateway.Simulation.Real;

// Subcommands: simulate (the discrete-event experiment), ccdf (a real run's records as Fig. 17), real (the same comparison with real processes in network namespaces).
if (args.Length > 0 && args[0] == "simulate")
{
    return SimulateCommand.Run(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "ccdf")
{
    return CcdfCommand.Run(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "real")
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        // Ctrl-C ends the run through its cleanup (agents stopped, namespaces deleted) instead of killing it.
        e.Cancel = true;
        stop.Cancel();
    };
    return await RealCommand.RunAsync(args[1..], Console.Out, stop.Token);
}

Console.Error.WriteLine(SimulateCommand.Usage);
Console.Error.WriteLine(RealOptions.Usage);
Console.Error.WriteLine(CcdfCommand.Usage);
return 2;
