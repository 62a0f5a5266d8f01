using Microsoft.Extensions.Options;

namespace Gateway.Delivery.Volunteers;

/// <summary>One volunteer mirror as ops configure it (an element of the <c>Volunteers</c> array).</summary>
public sealed class VolunteerOptions
{
    /// <summary>Stable id: names the volunteer in metrics, logs and the store.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Base URL under which the volunteer serves the repository's paths.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>Relative capacity (1–1000): a volunteer of weight 2 takes twice the share of one of weight 1.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>
    /// Apache's name for <see cref="Weight"/> (<c>loadfactor</c>, 1–100, decimals allowed as in httpd 2.4).
    /// When set it is the weight; set one or the other, not both.
    /// </summary>
    public double? LoadFactor { get; set; }

    /// <summary>Apache's <c>lbset</c> (0–99): members of the lowest set with a usable member serve; higher sets are fallbacks.</summary>
    public int LbSet { get; set; }

    /// <summary>Apache's <c>status</c> flags, e.g. <c>+H</c> (hot standby), <c>+R</c> (hot spare), <c>+D</c>, <c>+S</c>, <c>+N</c>, <c>+I</c>.</summary>
    public string? Status { get; set; }

    /// <summary>Apache's <c>retry</c>: how long a member in error stays out before it is tried again.</summary>
    public TimeSpan Retry { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Apache's <c>timeout</c>: how long an attempt on this volunteer may stay silent (proxy mode); null uses <c>Proxy:ActivityTimeout</c>.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Apache's <c>route</c>: requests whose sticky-session value ends in ".route" go to this volunteer (Balancer:StickySession).</summary>
    public string? Route { get; set; }

    /// <summary>Apache's <c>redirect</c> (RouteRedir): the route that serves this volunteer's sticky requests while it cannot.</summary>
    public string? RouteRedirect { get; set; }

    /// <summary>The weight selection uses: <see cref="LoadFactor"/> rounded when set, else <see cref="Weight"/>.</summary>
    public int EffectiveWeight => LoadFactor is { } factor ? Math.Max(1, (int)Math.Round(factor)) : Weight;

    /// <summary>False takes the volunteer out of selection without removing it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// What the volunteer holds until the tracker says so: <c>all</c> (a full mirror), a file path, or an
    /// http(s) URL of a text list (one repository path or SHA-256 per line). Empty: nothing.
    /// </summary>
    public string? Inventory { get; set; }

    /// <summary>
    /// The volunteer's tracker key: it announces to <c>/announce/{Key}</c>, and its seeding then makes it a holder
    /// (with the tracker on, this replaces <see cref="Inventory"/>). 16–128 URL-safe characters; empty: none.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// The key being retired during a rotation: announces with it still count, as with <see cref="Key"/>, so the
    /// volunteer can switch at its own pace. Remove it (the config file is reloaded) to retire it. Same rules as the key.
    /// </summary>
    public string? PreviousKey { get; set; }

    /// <summary>The keys its announces may use: <see cref="Key"/>, and <see cref="PreviousKey"/> during a rotation.</summary>
    public IEnumerable<string> AcceptedKeys()
    {
        if (!string.IsNullOrEmpty(Key))
        {
            yield return Key;
        }

        if (!string.IsNullOrEmpty(PreviousKey))
        {
            yield return PreviousKey;
        }
    }
}

/// <summary>All configured volunteers (section <c>Volunteers</c>, an array).</summary>
public sealed class VolunteerSetOptions
{
    public const string Section = "Volunteers";

    public List<VolunteerOptions> Members { get; } = [];
}

internal sealed class VolunteerSetOptionsValidator : IValidateOptions<VolunteerSetOptions>
{
    private static readonly System.Buffers.SearchValues<char> IdCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    private static readonly System.Buffers.SearchValues<char> KeyCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~");

    public ValidateOptionsResult Validate(string? name, VolunteerSetOptions options)
    {
        var errors = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Members.Count; i++)
        {
            var v = options.Members[i];
            var at = $"Volunteers:{i}";
            if (string.IsNullOrWhiteSpace(v.Id) || v.Id.AsSpan().IndexOfAnyExcept(IdCharacters) >= 0)
            {
                errors.Add($"{at}:Id '{v.Id}' must be non-empty letters, digits, '-', '_' or '.'.");
            }
            else if (!ids.Add(v.Id) || v.Id == GatewayClusters.OriginDestinationId)
            {
                errors.Add($"{at}:Id '{v.Id}' is used twice (or is the reserved id 'origin').");
            }

            if (!Uri.TryCreate(v.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.Query))
            {
                errors.Add($"{at}:Url '{v.Url}' must be an absolute http(s) URL without a query.");
            }

            if (!string.IsNullOrEmpty(v.PreviousKey) && string.IsNullOrEmpty(v.Key))
            {
                errors.Add($"{at}:PreviousKey is set without {at}:Key: a rotation needs the new key in Key.");
            }

            foreach (var (field, key) in new[] { ("Key", v.Key), ("PreviousKey", v.PreviousKey) })
            {
                if (string.IsNullOrEmpty(key))
                {
                    continue;
                }

                if (key.Length is < 16 or > 128 || key.AsSpan().IndexOfAnyExcept(KeyCharacters) >= 0)
                {
                    errors.Add($"{at}:{field} must be 16-128 letters, digits, '-', '_', '.' or '~' (it goes in the announce URL path).");
                }
                else if (!keys.Add(key))
                {
                    errors.Add($"{at}:{field} is the same as another key in use (this volunteer's or another's); every key must be unique.");
                }
            }

            if (v.Weight is < 1 or > 1000)
            {
                errors.Add($"{at}:Weight {v.Weight} must be between 1 and 1000.");
            }

            ApacheMemberOptionsValidator.Validate(v, at, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
