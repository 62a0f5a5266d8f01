using Gateway.Core.Hosting;
using Gateway.Delivery;
using Gateway.Hosting;
return await GatewayCommands.RunAsync(args).ConfigureAwait(false);
