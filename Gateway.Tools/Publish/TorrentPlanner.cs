using System.Text;
using Gateway.Core.Catalog;

namespace Gateway.Tools.Publish;

/// <summary>
/// Cuts the published files into torrents. A file above the large-file threshold is a single-file torrent of
/// its own (such files carry most of the bytes and are fetched one by one). Smaller files are batched into
/// multi-file torrents per batch folder (the folder at <see cref="TorrentPublishOptions.BatchDepth"/>, e.g.
/// <c>pool/main</c>), so a Debian pool of a hundred thousand packages is hundreds of swarms, not one per
/// package. Within a batch folder files go in path order and a batch ends after a file whose path hashes to
/// a boundary (or at the byte and file caps): boundaries depend on the paths themselves, so adding or
/// removing a file changes only the batch around it and a republish rebuilds that one. Small files at the
/// top of the repository, and a batch of one, are single-file torrents (a multi-file torrent needs a folder
/// for its name). Empty files are in no torrent.
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
            var folder = BatchFolder(file.Path, options.BatchDepth);
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

        // About four batches fit under the file cap on average, so the cap rarely decides a boundary.
        var boundaryEvery = (uint)Math.Max(1, options.BatchMaxFiles / 4);
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
                if (PathHash(file.Path) % boundaryEvery == 0)
                {
                    planned.Add(Batch(folder, batch));
                    batch = [];
                    bytes = 0;
                }
            }

            if (batch.Count > 0)
            {
                planned.Add(Batch(folder, batch));
            }
        }

        return planned;
    }

    /// <summary>Splits "a/b/c" into ("a/b", "c"); a top-level name has folder "".</summary>
    internal static (string Folder, string Name) Split(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? (string.Empty, path) : (path[..slash], path[(slash + 1)..]);
    }

    /// <summary>The file's folder, cut to at most <paramref name="depth"/> segments.</summary>
    private static string BatchFolder(string path, int depth)
    {
        var (folder, _) = Split(path);
        var end = -1;
        for (var i = 0; i < depth; i++)
        {
            end = folder.IndexOf('/', end + 1);
            if (end < 0)
            {
                return folder;
            }
        }

        return folder[..end];
    }

    // FNV-1a of the UTF-8 path: stable across runs and machines, unlike string.GetHashCode.
    private static uint PathHash(string path)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(path))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
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
