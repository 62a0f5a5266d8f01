namespace Gateway.Delivery.Health;

/// <summary>The gateway's own health endpoints, for load balancers and orchestrators.</summary>
public static class HealthEndpoints
{
    /// <summary><c>/healthz</c>: the process answers (liveness). <c>/readyz</c>: a JSON <see cref="ReadinessReport"/>, 503 when not ready.</summary>
    public static void MapGatewayHealth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/healthz", () => Results.Text("ok\n")).ShortCircuit();
        app.MapGet("/readyz", (ReadinessCheck readiness) =>
        {
            var report = readiness.Check();
            return Results.Json(report, statusCode: report.ServesCustomers ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).ShortCircuit();
    }
}
