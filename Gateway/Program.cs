using Gateway.Core.Hosting;
using Gateway.Delivery;
using Gateway.Hosting;
using Gateway.Cli;
return await GatewayCommands.RunAsync(args).ConfigureAwait(false);
