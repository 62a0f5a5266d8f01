using Gateway.Core.Torrents;

namespace Gateway.Feedback.Tracker;

/// <summary>The torrents the tracker tracks (those <c>publish</c> made) and the content ids each contains.</summary>
public interface ITorrentDirectory
{
    /// <summary>False for a torrent that is not published: the tracker refuses it.</summary>
    bool TryGetContents(InfoHash infoHash, out IReadOnlyCollection<string> contentIds);
}

/// <summary>A volunteer as its announce key names it.</summary>
/// <param name="Id">The volunteer id (as in the gateway's <c>Volunteers</c> configuration and the holdings store).</param>
/// <param name="BaseUrl">Where it serves customers over HTTP.</param>
public sealed record KeyedVolunteer(string Id, Uri BaseUrl);

/// <summary>Resolves the key in an announce path (<c>/announce/{key}</c>) to the volunteer it belongs to.</summary>
public interface IVolunteerKeys
{
    bool TryResolve(ReadOnlySpan<char> key, out KeyedVolunteer? volunteer);
}
