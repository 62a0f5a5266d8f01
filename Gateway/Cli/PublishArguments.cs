using Gateway.Tools.Publish;

namespace Gateway.Cli;

/// <summary>What <c>publish</c> was asked: the repository folder, the manifest to write and the torrents to make.</summary>
internal sealed record PublishArguments(string Folder, string ManifestPath, TorrentPublishOptions Torrents);
