using System.Net;
using Gateway.Core.Catalog;
using Gateway.Delivery;
using Gateway.Delivery.Availability;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Demo;

/// <summary>
/// The demo's live view at <c>/demo/status</c>: per volunteer, the files it holds, the load it last reported and how
/// old that report is, what the gateway sent it in the last minute, and its health. Everything comes from the
/// gateway's own answers (<see cref="VolunteerState"/>: holdings, load estimate, availability; YARP's health;
/// <see cref="DemoRequestCounter"/>: the request counter), so the page shows what the policy sees.
/// Mapped only by the demo, whose gateway listens on loopback; it needs no credential and answers loopback only.
/// </summary>
public static class DemoStatusPage
{
    public const string Path = "/demo/status";

    /// <summary>One volunteer's row.</summary>
    public sealed record Row(
        string Id,
        string Url,
        string Holds,
        int FilesHeld,
        double? ReportedLoad,
        double? ReportAgeSeconds,
        double EstimatedLoad,
        int Weight,
        int RequestsLastMinute,
        long Redirected,
        long Proxied,
        string Health);

    /// <summary>The page's data (also its JSON at <c>?format=json</c>).</summary>
    public sealed record Status(string Tracker, int CatalogFiles, long OriginRequests, IReadOnlyList<Row> Volunteers);

    public static void Map(WebApplication app, DemoEnvironment demo, DemoRequestCounter requests)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(Path, (HttpContext context) =>
        {
            if (context.Connection.RemoteIpAddress is not { } address || !IPAddress.IsLoopback(address))
            {
                return Results.Problem(statusCode: 403, title: "The demo's status page answers loopback only");
            }

            return context.Request.Query["format"] == "json"
                ? Results.Json(Read(app.Services, demo, requests))
                : Results.Content(Html, "text/html; charset=utf-8");
        });
    }

    public static Status Read(IServiceProvider services, DemoEnvironment demo, DemoRequestCounter requests)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(demo);
        ArgumentNullException.ThrowIfNull(requests);
        var state = services.GetRequiredService<VolunteerState>();
        var catalog = services.GetRequiredService<CatalogState>().Current;
        var time = services.GetRequiredService<TimeProvider>();
        var lookup = services.GetRequiredService<IProxyStateLookup>();
        lookup.TryGetCluster(GatewayClusters.Volunteers, out var cluster);
        var now = time.GetUtcNow();
        var rows = new List<Row>();
        foreach (var (id, url, holds) in demo.Volunteers)
        {
            DestinationState? destination = null;
            cluster?.Destinations.TryGetValue(id, out destination);
            var held = catalog.Entries.Count(e => Array.IndexOf(state.HoldersOf(e.ContentId), id) >= 0);
            var reported = state.ReportedLoad(id, out var reportedAt);
            rows.Add(new Row(
                id,
                url.ToString(),
                holds,
                held,
                reported is { } r ? Math.Round(r, 2) : null,
                reported is null ? null : Math.Round(Math.Max(0, (now - reportedAt).TotalSeconds), 1),
                Math.Round(state.Load(id) / state.WeightOf(id), 2),
                state.WeightOf(id),
                requests.LastMinute(id),
                requests.Total(id, "redirected"),
                requests.Total(id, "proxied"),
                HealthOf(state, id, destination)));
        }

        return new Status(demo.TrackerUrl.ToString(), catalog.Count, requests.Total(DemoRequestCounter.NoVolunteer, "origin"), rows);
    }

    private static string HealthOf(VolunteerState state, string id, DestinationState? destination) =>
        destination is null ? "not in the cluster"
        : state.IsQuarantined(id) ? "quarantined"
        : state.IsAvailable(id, destination) ? destination.Health.Active == DestinationHealth.Healthy ? "healthy" : "not probed yet"
        : "down";

    // Fetches its JSON every second, so the rows follow the traffic without reloading the page.
    private const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Demo: volunteers</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2em; }
          table { border-collapse: collapse; }
          th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
          th:first-child, td:first-child, td.holds, td.health { text-align: left; }
          .stale { color: #a00; }
        </style>
        </head>
        <body>
        <h1>Volunteers, as the gateway sees them</h1>
        <p>Tracker: <code id="tracker"></code> · catalog files: <span id="files"></span> · served by the origin: <span id="origin"></span> · updated <span id="updated">never</span></p>
        <table>
          <thead><tr>
            <th>volunteer</th><th>holds</th><th>files held</th><th>reported load</th><th>report age</th>
            <th>estimated load / weight</th><th>requests, last minute</th><th>redirected</th><th>proxied</th><th>health</th>
          </tr></thead>
          <tbody id="rows"></tbody>
        </table>
        <p>Reported load: the customer transfers in progress plus BitTorrent's share of the uplink, in transfers, from the
        volunteer's last announce. The gateway sends each download to the holder with the lowest estimated load per weight.</p>
        <script>
        function cell(row, cls, text) { const td = document.createElement('td'); td.className = cls; td.textContent = text; row.appendChild(td); return td; }
        async function refresh() {
          try {
            const response = await fetch(location.pathname + '?format=json', { cache: 'no-store' });
            const status = await response.json();
            document.getElementById('tracker').textContent = status.tracker;
            document.getElementById('files').textContent = status.catalogFiles;
            document.getElementById('origin').textContent = status.originRequests;
            const rows = document.getElementById('rows');
            rows.replaceChildren(...status.volunteers.map(v => {
              const row = document.createElement('tr');
              row.dataset.volunteer = v.id;
              cell(row, 'id', v.id);
              cell(row, 'holds', v.holds);
              cell(row, 'held', v.filesHeld);
              cell(row, 'load', v.reportedLoad === null ? 'no fresh report' : v.reportedLoad.toFixed(2));
              const age = cell(row, 'age', v.reportAgeSeconds === null ? '-' : v.reportAgeSeconds.toFixed(1) + ' s');
              if (v.reportAgeSeconds === null || v.reportAgeSeconds > 10) { age.classList.add('stale'); }
              cell(row, 'estimate', v.estimatedLoad.toFixed(2));
              cell(row, 'recent', v.requestsLastMinute);
              cell(row, 'redirected', v.redirected);
              cell(row, 'proxied', v.proxied);
              cell(row, 'health', v.health);
              return row;
            }));
            document.getElementById('updated').textContent = new Date().toLocaleTimeString();
          } catch (e) {
            document.getElementById('updated').textContent = 'failed: ' + e;
          }
        }
        refresh();
        setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """;
}
