using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Quarantine;

/// <summary>
/// The operator's <c>GET /_gateway/quarantine</c> and <c>DELETE /_gateway/quarantine/{id}</c> (bearer
/// <c>Verify:AdminToken</c>); reports that quarantine come in through <c>Reports/VolunteerReportEndpoint</c>.
/// </summary>
public static class QuarantineEndpoints
{
    public const string QuarantinePath = "/_gateway/quarantine";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet(QuarantinePath, (HttpContext context, IOptionsMonitor<VerifyOptions> options, QuarantineList quarantine) =>
            Authorized(context, options.CurrentValue) ?? Results.Json(quarantine.All.OrderBy(r => r.Volunteer, StringComparer.Ordinal).ToArray(), VerificationJsonContext.Default.QuarantineRecordArray));
        app.MapDelete(QuarantinePath + "/{id}", (string id, HttpContext context, IOptionsMonitor<VerifyOptions> options, QuarantineList quarantine) =>
            Authorized(context, options.CurrentValue) ?? (quarantine.Clear(id)
                ? Results.NoContent()
                : Results.Problem(statusCode: 404, title: "Not quarantined", detail: $"Volunteer '{id}' is not in quarantine.")));
    }

    private static IResult? Authorized(HttpContext context, VerifyOptions options)
    {
        if (options.AdminToken.Length == 0)
        {
            return Results.Problem(statusCode: 404, title: "Admin endpoints disabled", detail: "Set Verify:AdminToken to enable the quarantine admin endpoints.");
        }

        var header = context.Request.Headers.Authorization.ToString();
        var ok = header.StartsWith("Bearer ", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[7..]), Encoding.UTF8.GetBytes(options.AdminToken));
        return ok ? null : Results.Problem(statusCode: 401, title: "Unauthorized", detail: "Send 'Authorization: Bearer <Verify:AdminToken>'.");
    }
}
