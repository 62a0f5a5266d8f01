using System.Text.Json;
using Gateway.Core.Catalog;
using Gateway.Core.Reports;
using Gateway.Delivery.Availability;
using Gateway.Delivery.Metrics;
using Gateway.Delivery.Quarantine;
using Gateway.Delivery.Volunteers;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Reports;

/// <summary>
/// <c>POST /_gateway/report</c>: signed reports from verifying client proxies. Altered bytes quarantine the volunteer
/// (<see cref="QuarantineList"/>); a stalled transfer counts toward a bench (<see cref="StallBench"/>).
/// </summary>
public static class VolunteerReportEndpoint
{
    public const string Path = VolunteerReportWire.Path;
    private const int MaxReportBytes = 4096;

    public static void Map(IEndpointRouteBuilder app) => app.MapPost(Path, ReportAsync);

    private static async Task<IResult> ReportAsync(
        HttpContext context,
        IOptionsMonitor<VerifyOptions> options,
        IOptionsMonitor<GatewayOptions> gateway,
        CatalogState catalog,
        VolunteerDirectory directory,
        QuarantineList quarantine,
        StallBench stalls,
        GatewayMetrics metrics,
        TimeProvider time)
    {
        var verify = options.CurrentValue;
        if (verify.ReportKey.Length == 0)
        {
            return Results.Problem(statusCode: 404, title: "Reports not accepted", detail: "This gateway has no Verify:ReportKey.");
        }

        if (context.Request.ContentLength is null or > MaxReportBytes)
        {
            return Results.Problem(statusCode: 413, title: "Report too large", detail: $"A report is a JSON body of at most {MaxReportBytes} bytes with a Content-Length.");
        }

        var body = new byte[(int)context.Request.ContentLength];
        await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted).ConfigureAwait(false);
        if (!ReportSignature.IsValid(verify.ReportKey, body, context.Request.Headers[ReportSignature.Header]))
        {
            return Results.Problem(statusCode: 401, title: "Bad signature", detail: $"{ReportSignature.Header} must be sha256=<hex HMAC-SHA256 of the body under the shared report key>.");
        }

        VolunteerReport? report;
        try
        {
            report = VolunteerReportWire.Deserialize(body);
        }
        catch (JsonException ex)
        {
            return Results.Problem(statusCode: 400, title: "Bad report", detail: ex.Message);
        }

        if (report?.Url is null || report.Path is null)
        {
            return Results.Problem(statusCode: 400, title: "Bad report", detail: "url and path are required.");
        }

        var kind = report.Kind ?? VolunteerReportKinds.Altered;
        if (kind is not (VolunteerReportKinds.Altered or VolunteerReportKinds.Stalled))
        {
            return Results.Problem(statusCode: 400, title: "Bad report", detail: $"kind '{kind}' is not one of '{VolunteerReportKinds.Altered}', '{VolunteerReportKinds.Stalled}'.");
        }

        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(report.Time);
        if (age > verify.ReportMaxAge || age < -verify.ReportMaxAge)
        {
            return Results.Problem(statusCode: 401, title: "Stale report", detail: $"The report's time is {age} from now; at most {verify.ReportMaxAge} is accepted.");
        }

        // The URL must be exactly where the gateway itself sends customers for this file: a report cannot name anything else.
        // A client proxy names the path it asked for, under Gateway:PathBase when there is one.
        var entry = catalog.Current.Find(gateway.CurrentValue.RepositoryPathOf(report.Path.TrimStart('/')) ?? report.Path);
        var volunteer = entry is null ? null : directory.All.FirstOrDefault(v => string.Equals(v.BaseUrl + entry.EscapedPath, report.Url, StringComparison.Ordinal));
        if (volunteer is null)
        {
            return Results.Problem(statusCode: 404, title: "Unknown source", detail: $"'{report.Url}' is not a registered volunteer's URL for a published file.");
        }

        if (kind == VolunteerReportKinds.Stalled)
        {
            stalls.Record(volunteer.Id, $"client proxy report: /{report.Path} {report.Observed ?? "stalled"}");
            return Results.Accepted(value: volunteer.Id);
        }

        metrics.RecordAlteredBytes(volunteer.Id);
        quarantine.Add(volunteer.Id, $"client proxy report: /{report.Path} arrived with SHA-256 {report.Observed ?? "?"}", "report");
        return Results.Accepted(value: volunteer.Id);
    }
}
