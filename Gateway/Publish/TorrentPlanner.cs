using Gateway.Catalog;

namespace Gateway.Publish;

/// <summary>
/// Cuts the published files into torrents. A file above the large-file threshold is a single-file torrent
/// of its own (those files carry most of the bytes and are fetched one by one). Smaller files are batched
/// per folder, in path order, into multi-file torrents capped by bytes and file count, so a mirror of
/// millions of small files is thousands of swarms, and a change in one folder rebuilds only that folder's
/// batches. Small files at the top of the repository, and a batch of one, are single-file torrents (a
/// multi-file torrent needs a folder for its name). Empty files are in no torrent.
/// </summary>
public static class TorrentPlanner
{
    public static IReadOnlyList<PlannedTorrent> Plan(IEnumerable<ManifestFile> files, TorrentPublishOptions options)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var planned = new List<PlannedTorrent>();
        var smallByFolder = new SortedDictionary<string, List<ManifestFile>>(StringComparer.Ordinal);
        foreach (var file in files.Where(f => f.Size > 0).OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            var (folder, _) = Split(file.Path);
            if (file.Size > options.LargeFileThreshold || folder.Length == 0)
            {
                planned.Add(Single(file));
                continue;
            }

            if (!smallByFolder.TryGetValue(folder, out var list))
            {
                smallByFolder[folder] = list = [];
            }

            list.Add(file);
        }

        foreach (var (folder, list) in smallByFolder)
        {
            var batch = new List<ManifestFile>();
            long bytes = 0;
            foreach (var file in list)
            {
                if (batch.Count > 0 && (batch.Count >= options.BatchMaxFiles || bytes + file.Size > options.BatchMaxBytes))
                {
                    planned.Add(Batch(folder, batch));
                    batch = [];
                    bytes = 0;
                }

                batch.Add(file);
                bytes += file.Size;
            }

            planned.Add(Batch(folder, batch));
        }

        return planned;
    }

    /// <summary>Splits "a/b/c" into ("a/b", "c"); a top-level name has folder "".</summary>
    internal static (string Folder, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? (string.Empty, path) : (path[..slash], path[(slash + 1)..]);
    }

    private static PlannedTorrent Single(ManifestFile file)
    {
        var (folder, name) = Split(file.Path);
        return new PlannedTorrent(folder, name, SingleFile: true, [file]);
    }

    private static PlannedTorrent Batch(string folder, List<ManifestFile> batch)
    {
        if (batch.Count == 1)
        {
            return Single(batch[0]);
        }

        var (parent, name) = Split(folder);
        return new PlannedTorrent(parent, name, SingleFile: false, batch);
    }
}
