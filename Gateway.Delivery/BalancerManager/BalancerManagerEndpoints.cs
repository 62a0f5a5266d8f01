using System.Globalization;
using System.Net;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;
using Gateway.State;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.BalancerManager;

/// <summary>balancer-manager (page, JSON view, edits) and the heartbeat receiver, as minimal-API endpoints.</summary>
public static class BalancerManagerEndpoints
{
    private static readonly char[] EditableFlags = ['D', 'N', 'H', 'R', 'S', 'I'];

    public static void AddBalancerManager(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BalancerManagerOptions>().Bind(configuration.GetSection(BalancerManagerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BalancerManagerOptions>, BalancerManagerOptionsValidator>();
        services.TryAddSingleton<LbMethodOverride>();
        services.AddSingleton<ManagerNonces>();
        services.AddSingleton<ManagerAccess>();
        services.AddSingleton<BalancerManagerView>();
        services.AddSingleton<BalancerManagerStateFile>();
        services.AddSingleton<BalancerManagerStoreState>();

        // With Redis, edits live in the store every gateway shares; otherwise in this gateway's file.
        services.AddSingleton<IBalancerManagerState>(sp => sp.GetRequiredService<IOptions<StoreOptions>>().Value.Kind == StoreKind.Redis
            ? sp.GetRequiredService<BalancerManagerStoreState>()
            : sp.GetRequiredService<BalancerManagerStateFile>());
        services.AddHostedService(sp => sp.GetRequiredService<IBalancerManagerState>());
    }

    public static void MapBalancerManager(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<BalancerManagerOptions>>().Value;
        app.MapGet(options.Path, Show).ShortCircuit();
        app.MapPost(options.Path, EditAsync).ShortCircuit().DisableAntiforgery();
        app.MapPost(options.HeartbeatPath, HeartbeatAsync).ShortCircuit().DisableAntiforgery();
    }

    private static IResult Show(HttpContext context, ManagerAccess access, ManagerNonces nonces, BalancerManagerView view, IOptionsMonitor<BalancerManagerOptions> options)
    {
        if (access.Refusal(context) is { } refused)
        {
            return refused;
        }

        context.Response.Headers.CacheControl = "no-store";
        var model = view.Build(nonces.Issue());
        return context.Request.Query["format"] == "json"
            ? Results.Json(model)
            : Results.Content(BalancerManagerPage.Render(model, options.CurrentValue.Path, context.Request.Query["message"]), "text/html; charset=utf-8");
    }

    private static async Task<IResult> EditAsync(
        HttpContext context,
        ManagerAccess access,
        ManagerNonces nonces,
        BalancerMembers members,
        LbMethodOverride lbMethod,
        BalancerManagerView view,
        IBalancerManagerState state,
        IOptionsMonitor<BalancerManagerOptions> options)
    {
        if (access.Refusal(context) is { } refused)
        {
            return refused;
        }

        if (!context.Request.HasFormContentType)
        {
            return Results.Problem(statusCode: 415, title: "Form expected", detail: "Send edits as application/x-www-form-urlencoded fields, as the page does.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        if (!nonces.TrySpend(form["nonce"]))
        {
            return Results.Problem(statusCode: 403, title: "Edit refused: no valid nonce",
                detail: "Every edit must carry the nonce of the page (or JSON view) it came from, once, before it expires. Reload balancer-manager and submit again.");
        }

        string done;
        if (form.ContainsKey("lbmethod"))
        {
            var method = view.LbMethods.FirstOrDefault(m => string.Equals(m, form["lbmethod"], StringComparison.OrdinalIgnoreCase));
            if (method is null)
            {
                return Results.Problem(statusCode: 400, title: "Unknown lbmethod", detail: $"lbmethod '{form["lbmethod"]}' is not one of {string.Join(", ", view.LbMethods)}.");
            }

            lbMethod.Set(method);

            // Apache starts the counters afresh when the method changes.
            members.ResetCounters();
            done = $"lbmethod set to {method}";
        }
        else if (ParseEdit(form, members, out var id, out var edit) is { } invalid)
        {
            return Results.Problem(statusCode: 400, title: "Invalid edit", detail: invalid);
        }
        else if (!members.Edit(id, edit))
        {
            return Results.Problem(statusCode: 404, title: "No such member", detail: $"No volunteer '{id}' is configured.");
        }
        else
        {
            done = $"{id} updated";
        }

        if (!await state.SaveAsync(context.RequestAborted).ConfigureAwait(false))
        {
            return Results.Problem(statusCode: 503, title: "Edit not kept",
                detail: $"{done} on this gateway, but the edit could not be stored: it lasts until this gateway restarts and other gateways do not see it. Submit it again when the store is back.");
        }

        return context.Request.Query["format"] == "json"
            ? Results.Json(new { message = done })
            : Results.Redirect($"{options.CurrentValue.Path}?message={Uri.EscapeDataString(done)}", permanent: false, preserveMethod: false);
    }

    /// <summary>Reads one member's edit (w, lf, ls, wr, rr, status_X); returns the problem when a field is wrong.</summary>
    private static string? ParseEdit(IFormCollection form, BalancerMembers members, out string id, out MemberEdit edit)
    {
        id = form["w"].ToString();
        edit = new MemberEdit();
        if (string.IsNullOrEmpty(id))
        {
            return "Name the member in field 'w' (or choose an lbmethod).";
        }

        int? factor = null;
        if (form.TryGetValue("lf", out var lf))
        {
            if (!double.TryParse(lf, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 1 || value > 100)
            {
                return $"Factor (lf) '{lf}' must be a number between 1 and 100.";
            }

            factor = (int)(value * 100.0);
        }

        int? set = null;
        if (form.TryGetValue("ls", out var ls))
        {
            if (!int.TryParse(ls, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 99)
            {
                return $"Set (ls) '{ls}' must be a whole number between 0 and 99.";
            }

            set = value;
        }

        var route = form.TryGetValue("wr", out var wr) ? wr.ToString() : null;
        if (route is { Length: > 64 })
        {
            return "Route (wr) must be at most 64 characters.";
        }

        var redirect = form.TryGetValue("rr", out var rr) ? rr.ToString() : null;
        if (redirect is { Length: > 64 })
        {
            return "RouteRedir (rr) must be at most 64 characters.";
        }

        // The page marks its forms with "flags" and sends the whole set (an unchecked box is a flag
        // cleared); a script may instead send just the status_X fields it wants to change.
        var whole = form.ContainsKey("flags");
        var text = string.Concat(EditableFlags
            .Where(f => whole || form.ContainsKey($"status_{f}"))
            .Select(f => (form[$"status_{f}"] == "1" ? "+" : "-") + f));
        MemberStatus? status = null;
        if (text.Length > 0)
        {
            var current = members.Find(id)?.AdminStatus ?? MemberStatus.None;
            MemberStatusFlags.TryApply(text, current, out var flags, out _);
            status = flags;
        }

        edit = new MemberEdit(factor, set, route, status, redirect);
        return null;
    }

    private static async Task<IResult> HeartbeatAsync(HttpContext context, HeartbeatBoard board, VolunteerDirectory directory)
    {
        var id = context.Request.Query["id"].ToString();
        VolunteerInfo? volunteer;
        if (id.Length == 0)
        {
            // As mod_heartmonitor: without a name, the sender is the volunteer configured at its address.
            var atAddress = context.Connection.RemoteIpAddress is { } from ? VolunteersAt(directory, from) : [];
            if (atAddress.Count != 1)
            {
                return Results.Problem(
                    statusCode: atAddress.Count == 0 ? 404 : 409,
                    title: atAddress.Count == 0 ? "Unknown volunteer" : "Ambiguous heartbeat",
                    detail: $"{atAddress.Count} volunteers are configured at {context.Connection.RemoteIpAddress}; name one with ?id=.");
            }

            volunteer = atAddress[0];
        }
        else if ((volunteer = directory.Find(id)) is null)
        {
            return Results.Problem(statusCode: 404, title: "Unknown volunteer", detail: $"Name a configured volunteer with ?id= (got '{id}').");
        }

        // Apache knows a heartbeat's sender by its address; a volunteer configured by IP must send from it.
        if (id.Length > 0 && IPAddress.TryParse(volunteer.BaseUrl.Host, out var address) && context.Connection.RemoteIpAddress is { } remote
            && !remote.Equals(address) && !remote.Equals(address.MapToIPv6()))
        {
            return Results.Problem(statusCode: 403, title: "Heartbeat from the wrong address", detail: $"Volunteer '{id}' is at {address}; this heartbeat came from {remote}.");
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        if (body.Length > 1024)
        {
            return Results.Problem(statusCode: 400, title: "Bad heartbeat", detail: "A heartbeat is at most 1 KiB (v=1&ready=N&busy=N).");
        }

        if (!HeartbeatBoard.TryReadBody(body, out var ready, out var busy, out var error))
        {
            return Results.Problem(statusCode: 400, title: "Bad heartbeat", detail: error);
        }

        board.Record(volunteer.Id, ready, busy);
        return Results.Text("ok\n");
    }

    private static List<VolunteerInfo> VolunteersAt(VolunteerDirectory directory, IPAddress from)
    {
        var sender = from.IsIPv4MappedToIPv6 ? from.MapToIPv4() : from;
        return [.. directory.All.Where(v => IPAddress.TryParse(v.BaseUrl.Host, out var address) && address.Equals(sender))];
    }
}
