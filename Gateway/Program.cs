using Gateway.Hosting;

return await GatewayCommands.RunAsync(args).ConfigureAwait(false);
