using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Gateway.Delivery.BalancerManager;

/// <summary>Renders balancer-manager as one HTML page: Apache's table and edit forms, plus the gateway's columns.</summary>
public static class BalancerManagerPage
{
    private static readonly (char Letter, string Name)[] EditableFlags =
        [('D', "Disabled"), ('N', "Drain"), ('H', "Hot standby"), ('R', "Hot spare"), ('S', "Stopped"), ('I', "Ignore errors")];

    public static string Render(ManagerBalancerView view, string path, string? message)
    {
        ArgumentNullException.ThrowIfNull(view);
        var e = HtmlEncoder.Default;
        var html = new StringBuilder(4096);
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Balancer Manager</title>
            <style>body{font-family:sans-serif} table{border-collapse:collapse} th,td{border:1px solid #999;padding:2px 6px;text-align:left} input[type=text]{width:5em}</style>
            </head><body>
            <h1>Load Balancer Manager</h1>

            """);
        if (message is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p id=\"message\">{e.Encode(message)}</p>\n");
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            <h3>LoadBalancer Status for <span id="balancer">{e.Encode(view.Name)}</span></h3>
            <form method="post" action="{e.Encode(path)}" id="balancer-form">
            <input type="hidden" name="nonce" value="{view.Nonce}">
            <label>LB Method <select name="lbmethod" id="lbmethod">
            """);
        foreach (var method in view.LbMethods)
        {
            var selected = string.Equals(method, view.LbMethod, StringComparison.OrdinalIgnoreCase) ? " selected" : string.Empty;
            html.Append(CultureInfo.InvariantCulture, $"<option{selected}>{e.Encode(method)}</option>");
        }

        html.Append("""
            </select></label> <button type="submit">Submit</button></form>
            <table id="members"><tr><th>Worker URL</th><th>Route</th><th>RouteRedir</th><th>Factor</th><th>Set</th><th>Status</th>
            <th>Elected</th><th>Busy</th><th>Load</th><th>To</th><th>From</th><th>Files held</th><th>Feedback load</th><th>Feedback age</th><th>Health</th><th>Edit</th></tr>

            """);
        foreach (var m in view.Members)
        {
            var id = e.Encode(m.Id);
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr data-member="{id}"><td>{e.Encode(m.WorkerUrl)}</td><td>{e.Encode(m.Route)}</td><td>{e.Encode(m.RouteRedir)}</td>
                <td class="factor">{m.Factor}</td><td class="set">{m.Set}</td><td class="status">{e.Encode(m.Status)}</td>
                <td class="elected">{m.Elected}</td><td>{m.Busy}</td><td>{m.Load}</td><td>{Bytes(m.To)}</td><td>{Bytes(m.From)}</td>
                <td>{m.FilesHeld}</td><td>{(m.FeedbackLoad is { } load ? load.ToString("0.##", CultureInfo.InvariantCulture) : "unknown")}</td>
                <td>{(m.FeedbackAgeSeconds is { } age ? age.ToString("0.#", CultureInfo.InvariantCulture) + " s" : "-")}</td><td>{e.Encode(m.Health)}</td>
                <td><form method="post" action="{e.Encode(path)}">
                <input type="hidden" name="nonce" value="{view.Nonce}"><input type="hidden" name="w" value="{id}"><input type="hidden" name="flags" value="1">
                <label>Factor <input type="text" name="lf" value="{m.Factor}"></label>
                <label>Set <input type="text" name="ls" value="{m.Set}"></label>
                <label>Route <input type="text" name="wr" value="{e.Encode(m.Route)}"></label>
                <label>RouteRedir <input type="text" name="rr" value="{e.Encode(m.RouteRedir)}"></label>

                """);
            foreach (var (letter, name) in EditableFlags)
            {
                var on = m.StatusFlags.Contains(letter, StringComparison.Ordinal) ? " checked" : string.Empty;
                html.Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"status_{letter}\" value=\"1\"{on}>{name}</label> ");
            }

            html.Append("<button type=\"submit\">Save</button></form></td></tr>\n");
        }

        html.Append("</table>\n<p>JSON for scripts: add <code>?format=json</code>. Edits need this page's nonce.</p></body></html>\n");
        return html.ToString();
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes}",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0}K",
        _ => $"{bytes / 1048576.0:0.0}M",
    };
}
