using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Delivery.Selection.Apache;
using Gateway.Delivery.Volunteers;

namespace Gateway.Tools.ApacheImport;

/// <summary>A directive or parameter the importer did not carry over, and why.</summary>
public sealed record ImportNote(ConfigLocation Location, string What, string Reason)
{
    public override string ToString() => $"{Location}: {What}: {Reason}";
}

/// <summary>The appsettings an import produced and everything it left behind.</summary>
public sealed record ImportResult(string Balancer, JsonObject Settings, IReadOnlyList<ImportNote> NotCarried);

/// <summary>
/// Turns the <c>&lt;Proxy "balancer://…"&gt;</c> blocks of an httpd.conf (their <c>BalancerMember</c> and
/// <c>ProxySet</c> lines, and the <c>ProxyPass</c> that uses them) into the gateway's appsettings:
/// members become volunteers with their loadfactor, lbset, status, retry, timeout and route; lbmethod
/// becomes <c>Selection:Policy</c>; maxattempts <c>Proxy:MaxAttempts</c>; nofailover, failonstatus,
/// failontimeout and forcerecovery the <c>Balancer</c> section; mod_proxy_hcheck's parameters the <c>Health</c> section;
/// <c>Listen</c> (and the balancer's <c>&lt;VirtualHost&gt;</c>) <c>Urls</c>. The result runs as it is: no catalog, no
/// origin, Apache's error semantics, no verification. Whatever has no equivalent is returned
/// as a note with its file:line; input that cannot mean anything sensible is an <see cref="ApacheImportException"/>.
/// </summary>
public sealed class ApacheBalancerImporter
{
    private static readonly string[] LbMethods = [ByRequestsPolicy.PolicyName, ByTrafficPolicy.PolicyName, ByBusynessPolicy.PolicyName, HeartbeatPolicy.PolicyName];

    private readonly List<ImportNote> _notes = [];
    private readonly ApacheListenAddresses _listen = new();
    private readonly Dictionary<string, Balancer> _balancers = new(StringComparer.OrdinalIgnoreCase);

    private ApacheBalancerImporter()
    {
    }

    /// <summary>Imports the balancer named <paramref name="balancer"/>, or the only (or only proxied) one when null.</summary>
    public static ImportResult Import(IReadOnlyList<ApacheDirective> directives, string? balancer = null)
    {
        ArgumentNullException.ThrowIfNull(directives);
        var importer = new ApacheBalancerImporter();
        foreach (var directive in directives)
        {
            importer.Visit(directive);
        }

        return importer.Build(balancer);
    }

    private void Visit(ApacheDirective d)
    {
        var inBalancer = d.Sections.LastOrDefault(s => s.Is("<Proxy") && s.Args.Count == 1 && IsBalancerUrl(s.Args[0]));
        if (d.Is("<Proxy") && d.Args.Count == 1 && IsBalancerUrl(d.Args[0]))
        {
            For(d.Args[0], d.Location);
        }
        else if (d.Is("BalancerMember"))
        {
            var (name, rest) = inBalancer is not null
                ? (inBalancer.Args[0], d.Args)
                : d.Args.Count > 0 && IsBalancerUrl(d.Args[0]) ? (d.Args[0], d.Args.Skip(1).ToArray()) : throw Invalid(d, "BalancerMember outside <Proxy \"balancer://…\"> must name its balancer first");
            AddMember(For(name, d.Location), rest, d);
        }
        else if (d.Is("ProxySet"))
        {
            var (name, rest) = inBalancer is not null
                ? (inBalancer.Args[0], d.Args)
                : d.Args.Count > 0 && IsBalancerUrl(d.Args[0]) ? (d.Args[0], d.Args.Skip(1).ToArray()) : ((string?)null, d.Args);
            if (name is null)
            {
                Note(d, "ProxySet", "not for a balancer:// URL; only balancer settings are imported");
                return;
            }

            foreach (var parameter in rest)
            {
                BalancerParameter(For(name, d.Location), parameter, d);
            }
        }
        else if (d.Is("ProxyPass") || d.Is("ProxyPassMatch"))
        {
            ProxyPass(d);
        }
        else if (d.Is("ProxyPassReverse") && d.Args.Any(IsBalancerUrl))
        {
            Note(d, "ProxyPassReverse", "not needed: volunteers answer with files, and the gateway passes their headers through unchanged");
        }
        else if (d.Is("Listen"))
        {
            if (_listen.Add(d) is { } note)
            {
                _notes.Add(note);
            }
        }
        else if (d.Is("Include") || d.Is("IncludeOptional") || d.Is("ServerRoot") || d.Is("<Proxy") || d.Is("<VirtualHost"))
        {
            // Followed by the reader, or a section whose contents are judged one by one.
        }
        else if (inBalancer is not null)
        {
            Note(d, d.Name, $"inside {inBalancer.Args[0]} but not a balancer setting; access control and other per-balancer directives are not imported");
        }
        else
        {
            Note(d, d.Name, "not balancer configuration");
        }
    }

    private void ProxyPass(ApacheDirective d)
    {
        var location = d.Sections.LastOrDefault(s => s.Is("<Location"));
        var args = d.Args;
        string? path;
        int targetIndex;
        if (location is not null && args.Count >= 1 && !args[0].StartsWith('/'))
        {
            path = location.Args.Count > 0 ? location.Args[0] : null;
            targetIndex = 0;
        }
        else if (args.Count >= 2)
        {
            path = args[0];
            targetIndex = 1;
        }
        else
        {
            throw Invalid(d, $"{d.Name} needs a path and a target");
        }

        var target = args[targetIndex];
        if (!IsBalancerUrl(target))
        {
            Note(d, $"{d.Name} {path} {target}", "not a balancer:// target");
            return;
        }

        if (d.Is("ProxyPassMatch"))
        {
            Note(d, $"{d.Name} {path}", "regular-expression paths are not imported; the gateway routes by path prefix");
            return;
        }

        var balancer = For(BalancerName(target), d.Location);
        if (path is null || path[0] != '/')
        {
            throw Invalid(d, $"path '{path}' must start with '/'");
        }

        var targetPath = target[(BalancerName(target).Length)..];
        balancer.Paths.Add((path, d.Location, targetPath.TrimEnd('/').Length == 0 && path.TrimEnd('/').Length > 0));
        balancer.VirtualHost ??= d.Sections.LastOrDefault(s => s.Is("<VirtualHost"));
        if (targetPath.TrimEnd('/') != path.TrimEnd('/') && !(targetPath.TrimEnd('/').Length == 0))
        {
            Note(d, $"{d.Name} {path} {target}", "Apache maps the path onto the target's path; the gateway asks volunteers for the request's own path below their URL");
        }

        foreach (var parameter in args.Skip(targetIndex + 1))
        {
            BalancerParameter(balancer, parameter, d);
        }
    }

    private void AddMember(Balancer balancer, IReadOnlyList<string> args, ApacheDirective d)
    {
        if (args.Count == 0)
        {
            throw Invalid(d, "BalancerMember needs a URL");
        }

        var url = args[0];
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw Invalid(d, $"member URL '{url}' must be an absolute http:// or https:// URL (ajp, fcgi, ws and unix sockets have no equivalent for volunteers)");
        }

        if (!string.IsNullOrEmpty(uri.Query))
        {
            throw Invalid(d, $"member URL '{url}' must not have a query");
        }

        var member = new JsonObject
        {
            ["Id"] = MemberId(balancer, uri),
            ["Url"] = uri.GetLeftPart(UriPartial.Path),
            ["Inventory"] = "all",
        };
        var healthCheck = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in args.Skip(1))
        {
            MemberParameter(member, healthCheck, parameter, d);
        }

        balancer.Members.Add(member);
        balancer.HealthChecks.AddMember(healthCheck, d.Location);
    }

    private void MemberParameter(JsonObject member, Dictionary<string, string> healthCheck, string parameter, ApacheDirective d)
    {
        var (key, value) = KeyValue(parameter, d);
        if (ApacheHealthChecks.Reads(key))
        {
            healthCheck[key] = value;
            return;
        }

        switch (key)
        {
            case "loadfactor":
                var factor = Number(value, d, key);
                if (factor < 1 || factor > 100)
                {
                    throw Invalid(d, $"loadfactor={value} must be between 1 and 100");
                }

                member["LoadFactor"] = factor;
                break;
            case "lbset":
                var set = WholeNumber(value, d, key);
                if (set is < 0 or > 99)
                {
                    throw Invalid(d, $"lbset={value} must be between 0 and 99");
                }

                member["LbSet"] = set;
                break;
            case "status":
                if (!MemberStatusFlags.TryApply(value, MemberStatus.None, out var status, out var error))
                {
                    throw Invalid(d, $"status={value}: {error}");
                }

                var imported = status & ~MemberStatus.InError;
                if (imported != status)
                {
                    Note(d, "status E", "error state is runtime, not configuration; the member starts in service");
                }

                member["Status"] = MemberStatusFlags.Format(imported);
                break;
            case "retry":
                member["Retry"] = Seconds(value, d, key);
                break;
            case "timeout":
                member["Timeout"] = Seconds(value, d, key);
                break;
            case "route":
                if (value.Length > 64)
                {
                    throw Invalid(d, "route is longer than Apache's 64 characters");
                }

                member["Route"] = value;
                break;
            case "redirect":
                if (value.Length > 64)
                {
                    throw Invalid(d, "redirect is longer than Apache's 64 characters");
                }

                member["RouteRedirect"] = value;
                break;
            default:
                Note(d, parameter, MemberParameterReason(key));
                break;
        }
    }

    private void BalancerParameter(Balancer balancer, string parameter, ApacheDirective d)
    {
        var (key, value) = KeyValue(parameter, d);
        switch (key)
        {
            case "lbmethod":
                var method = value.ToLowerInvariant();
                if (!LbMethods.Contains(method))
                {
                    throw Invalid(d, $"lbmethod={value} is not one of {string.Join(", ", LbMethods)}");
                }

                balancer.Settings["Selection:Policy"] = method;
                break;
            case "maxattempts":
                var attempts = WholeNumber(value, d, key);
                if (attempts < 0)
                {
                    throw Invalid(d, $"maxattempts={value} must be 0 or more");
                }

                // Apache counts the failovers after the first try; Proxy:MaxAttempts counts every try (at most 10).
                if (attempts + 1 > 10)
                {
                    Note(d, parameter, "the gateway tries at most 10 volunteers per request; imported as Proxy:MaxAttempts 10");
                }

                balancer.Settings["Proxy:MaxAttempts"] = Math.Min(10, attempts + 1);
                break;
            case "nofailover":
                // Only sticky requests are pinned (mod_proxy_balancer's sticky_force); others still fail over.
                balancer.Settings["Balancer:NoFailover"] = OnOff(value, d, key);
                break;
            case "failonstatus":
                var statuses = new JsonArray();
                foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var code = WholeNumber(part, d, key);
                    if (code is < 100 or > 599)
                    {
                        throw Invalid(d, $"failonstatus code {part} is not an HTTP status");
                    }

                    statuses.Add(code);
                }

                balancer.Settings["Balancer:FailOnStatus"] = statuses;
                break;
            case "failontimeout":
                balancer.Settings["Balancer:FailOnTimeout"] = OnOff(value, d, key);
                break;
            case "forcerecovery":
                balancer.Settings["Balancer:ForceRecovery"] = OnOff(value, d, key);
                break;
            case "stickysession":
                if (value.Length == 0 || value.Split('|') is not { Length: 1 or 2 } names || names.Any(n => n.Length == 0))
                {
                    throw Invalid(d, $"stickysession={value} must be a cookie name or COOKIE|URLPARAM");
                }

                balancer.Settings["Balancer:StickySession"] = value;
                break;
            case "stickysessionsep":
                if (value.Length != 1)
                {
                    throw Invalid(d, $"stickysessionsep={value} must be one character");
                }

                balancer.Settings["Balancer:StickySessionSeparator"] = value;
                break;
            case "scolonpathdelim":
                balancer.Settings["Balancer:ScolonPathDelim"] = OnOff(value, d, key);
                break;
            case "timeout":
                Note(d, parameter, "waiting for a free member is not supported: with no usable member the request gets 503 at once");
                break;
            case "growth":
                Note(d, parameter, "members are added by editing Volunteers (reloaded without restart), not by balancer-manager");
                break;
            case "nonce":
                Note(d, parameter, "balancer-manager makes a fresh nonce per page");
                break;
            default:
                Note(d, parameter, MemberParameterReason(key));
                break;
        }
    }

    private static string MemberParameterReason(string key) => key switch
    {
        "connectiontimeout" or "ping" or "ttl" or "keepalive" or "disablereuse" or "enablereuse" or "max" or "min" or "smax" or "acquire"
            or "iobuffersize" or "receivebuffersize" or "flushpackets" or "flushwait" or "responsefieldsize" or "addressttl"
            => "connection tuning is YARP's (HttpClient) and set for all volunteers, not per member",
        "hcexpr" or "hctemplate" or "hcport"
            => "the gateway's probe (Health section) takes any 2xx on the member's own port as healthy",
        "secret" or "upgrade" or "mapping" => "no equivalent for http volunteers",
        _ => "no equivalent in the gateway",
    };

    private ImportResult Build(string? wanted)
    {
        if (_balancers.Count == 0)
        {
            throw new ApacheImportException("no <Proxy \"balancer://…\"> block or BalancerMember found; nothing to import.");
        }

        Balancer chosen;
        if (wanted is not null)
        {
            chosen = _balancers.GetValueOrDefault(BalancerName(wanted.Contains("://", StringComparison.Ordinal) ? wanted : "balancer://" + wanted))
                ?? throw new ApacheImportException($"no balancer named '{wanted}'; found {string.Join(", ", _balancers.Keys)}.");
        }
        else if (_balancers.Count == 1)
        {
            chosen = _balancers.Values.First();
        }
        else
        {
            var proxied = _balancers.Values.Where(b => b.Paths.Any(p => p.Path == "/")).ToList();
            chosen = proxied.Count == 1
                ? proxied[0]
                : throw new ApacheImportException($"{_balancers.Count} balancers found ({string.Join(", ", _balancers.Keys)}); the gateway has one, choose it with --balancer NAME.");
        }

        if (chosen.Members.Count == 0)
        {
            throw new ApacheImportException($"{chosen.Location}: balancer {chosen.Name} has no BalancerMember.");
        }

        foreach (var other in _balancers.Values.Where(b => b != chosen))
        {
            _notes.Add(new ImportNote(other.Location, other.Name, $"not imported: the gateway has one volunteer cluster and {chosen.Name} was chosen"));
        }

        var settings = new JsonObject();
        if (_listen.UrlsFor(chosen.VirtualHost) is { } urls)
        {
            Set(settings, "Urls", urls);
        }

        Set(settings, "Selection:Policy", ByRequestsPolicy.PolicyName);
        Set(settings, "Gateway:Mode", "Proxy");

        // An Apache balancer: its error answers, no verification (no catalog, so no digest to verify against), and
        // httpd's default maxattempts, one failover per other member (mod_proxy_balancer.c, init_balancer_members).
        Set(settings, "Proxy:ErrorSemantics", "Apache");
        Set(settings, "Verify:Proxy", false);
        Set(settings, "Proxy:MaxAttempts", Math.Clamp(chosen.Members.Count, 1, 10));
        if (chosen.Members.Count > 10 && !chosen.Settings.ContainsKey("Proxy:MaxAttempts"))
        {
            _notes.Add(new ImportNote(chosen.Location, $"{chosen.Name} default maxattempts", "the gateway tries at most 10 volunteers per request; imported as Proxy:MaxAttempts 10"));
        }

        chosen.HealthChecks.Apply((key, value) => Set(settings, key, value), _notes);
        foreach (var (key, value) in chosen.Settings)
        {
            Set(settings, key, value?.DeepClone());
        }

        // One ProxyPass /app balancer://x/: Apache asks a member for the path below /app, which is the gateway's
        // path base (the rest of the hostname is not proxied: 404 on both). Several such paths cannot be one base.
        var stripping = chosen.Paths.Where(p => p.StripsPrefix).ToList();
        if (stripping.Count == 1 && chosen.Paths.Count == 1)
        {
            Set(settings, "Gateway:PathBase", stripping[0].Path.TrimEnd('/'));
        }
        else
        {
            foreach (var (path, at, _) in stripping)
            {
                _notes.Add(new ImportNote(at, $"ProxyPass {path}", "Apache maps the path onto the target's path; with several ProxyPass paths for one balancer the gateway asks volunteers for the request's own path below their URL"));
            }
        }

        var routes = new JsonArray();
        foreach (var (path, at, _) in chosen.Paths.Where(p => p.Path != "/" && !(p.StripsPrefix && stripping.Count == 1 && chosen.Paths.Count == 1)))
        {
            routes.Add(new JsonObject { ["PathPrefix"] = path, ["Mode"] = "Proxy" });
            _notes.Add(new ImportNote(at, $"ProxyPass {path}", "imported as a Gateway:Routes prefix; without a catalog the gateway balances every path, also those outside this prefix that Apache does not proxy"));
        }

        if (routes.Count > 0)
        {
            Set(settings, "Gateway:Routes", routes);
        }

        settings["Volunteers"] = new JsonArray([.. chosen.Members]);
        return new ImportResult(chosen.Name, settings, _notes);
    }

    private static void Set(JsonObject root, string key, JsonNode? value)
    {
        var parts = key.Split(':');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = new JsonObject();
                node[part] = child;
            }

            node = child;
        }

        node[parts[^1]] = value;
    }

    private Balancer For(string url, ConfigLocation at)
    {
        var name = BalancerName(url);
        if (!_balancers.TryGetValue(name, out var balancer))
        {
            balancer = new Balancer(name, at);
            _balancers[name] = balancer;
        }

        return balancer;
    }

    private static string MemberId(Balancer balancer, Uri uri)
    {
        var id = $"{uri.Host}-{uri.Port}".Replace(':', '-').Replace('[', '-').Replace(']', '-');
        var unique = id;
        for (var n = 2; balancer.Members.Any(m => (string?)m["Id"] == unique); n++)
        {
            unique = $"{id}-{n}";
        }

        return unique;
    }

    private static bool IsBalancerUrl(string url) => url.StartsWith("balancer://", StringComparison.OrdinalIgnoreCase);

    /// <summary>"balancer://app/x" → "balancer://app".</summary>
    private static string BalancerName(string url)
    {
        var slash = url.IndexOf('/', "balancer://".Length);
        return (slash < 0 ? url : url[..slash]).ToLowerInvariant();
    }

    private static (string Key, string Value) KeyValue(string parameter, ApacheDirective d)
    {
        var eq = parameter.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw Invalid(d, $"parameter '{parameter}' must be key=value");
        }

        return (parameter[..eq].ToLowerInvariant(), parameter[(eq + 1)..]);
    }

    private static double Number(string value, ApacheDirective d, string key) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
            ? n
            : throw Invalid(d, $"{key}={value} is not a number");

    private static int WholeNumber(string value, ApacheDirective d, string key) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(d, $"{key}={value} is not a whole number");

    /// <summary>Apache's time parameters are seconds unless suffixed with "ms".</summary>
    private static string Seconds(string value, ApacheDirective d, string key)
    {
        var ms = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase);
        var number = WholeNumber(ms ? value[..^2] : value, d, key);
        if (number < 0 || number > 86_400_000)
        {
            throw Invalid(d, $"{key}={value} must be between 0 and a day");
        }

        var span = ms ? TimeSpan.FromMilliseconds(number) : TimeSpan.FromSeconds(number);
        if (span > TimeSpan.FromDays(1))
        {
            throw Invalid(d, $"{key}={value} must be at most a day");
        }

        return span.ToString("c", CultureInfo.InvariantCulture);
    }

    private static bool OnOff(string value, ApacheDirective d, string key) => value.ToLowerInvariant() switch
    {
        "on" => true,
        "off" => false,
        _ => throw Invalid(d, $"{key}={value} must be On or Off"),
    };

    private static ApacheImportException Invalid(ApacheDirective d, string message) => new($"{d.Location}: {message}.");

    private void Note(ApacheDirective d, string what, string reason) => _notes.Add(new ImportNote(d.Location, what, reason));

    private sealed class Balancer(string name, ConfigLocation location)
    {
        public string Name { get; } = name;

        public ConfigLocation Location { get; } = location;

        public List<JsonObject> Members { get; } = [];

        public Dictionary<string, JsonNode?> Settings { get; } = new(StringComparer.Ordinal);

        /// <summary>The ProxyPass paths to this balancer; <c>StripsPrefix</c> when the target has no path, so Apache asks members for the rest below it.</summary>
        public List<(string Path, ConfigLocation At, bool StripsPrefix)> Paths { get; } = [];

        /// <summary>The &lt;VirtualHost&gt; of the first ProxyPass to this balancer, if any: where it listens.</summary>
        public ApacheDirective? VirtualHost { get; set; }

        public ApacheHealthChecks HealthChecks { get; } = new();
    }
}
