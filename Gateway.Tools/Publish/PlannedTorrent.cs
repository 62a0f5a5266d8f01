using Gateway.Core.Catalog;

namespace Gateway.Tools.Publish;

/// <summary>A torrent publish intends to have: its files and where its content lands (<c>Folder/Name</c>).</summary>
public sealed record PlannedTorrent(string Folder, string Name, bool SingleFile, IReadOnlyList<ManifestFile> Files)
{
    public long Size => Files.Sum(f => f.Size);
}
