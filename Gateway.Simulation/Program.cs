using Gateway.Simulation.Output;

// Subcommands: simulate (the discrete-event experiment); more (the namespace harness) follow.
if (args.Length > 0 && args[0] == "simulate")
{
    return SimulateCommand.Run(args[1..], Console.Out);
}

Console.Error.WriteLine(SimulateCommand.Usage);
return 2;
