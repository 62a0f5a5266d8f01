using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Gateway.Agent.Mirror;

/// <summary>
/// The agent's folder: <c>files/</c> holds the repository tree the engine fetches into, <c>content/sha256/</c>
/// holds one hard link per verified content. Identical content is stored once: a file whose content is already
/// held becomes a link to it, so holding one name serves every name with the same bytes.
/// </summary>
public sealed partial class ContentStore(IOptions<VolunteerAgentOptions> options)
{
    private readonly string _root = Path.GetFullPath(options.Value.Storage);

    // Two torrents with the same content may finish their checks at once: one of them links first.
    private readonly Lock _linking = new();

    /// <summary>The folder the engine fetches a repository folder into.</summary>
    public string FolderPath(string repositoryFolder) =>
        repositoryFolder.Length == 0 ? FilesRoot : Path.Combine(FilesRoot, repositoryFolder.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Where a repository path lives on disk.</summary>
    public string FilePath(string repositoryPath) => Path.Combine(FilesRoot, repositoryPath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Where a content lives on disk (its name is its SHA-256).</summary>
    public string ContentPath(string sha256) => Path.Combine(_root, "content", "sha256", sha256);

    private string FilesRoot => Path.Combine(_root, "files");

    /// <summary>Creates the folders; fails early with the folder's name when it cannot be written.</summary>
    public void Prepare()
    {
        Directory.CreateDirectory(FilesRoot);
        Directory.CreateDirectory(Path.Combine(_root, "content", "sha256"));
    }

    /// <summary>Records a verified file as a content: links it in, or replaces it by a link to the copy already held.</summary>
    public void Keep(string repositoryPath, string sha256)
    {
        var file = FilePath(repositoryPath);
        var content = ContentPath(sha256);
        lock (_linking)
        {
            if (!File.Exists(content))
            {
                HardLink(file, content);
                return;
            }

            // Same bytes already held: one inode for both names (the engine keeps reading the same bytes).
            var temporary = file + ".link";
            File.Delete(temporary);
            HardLink(content, temporary);
            File.Move(temporary, file, overwrite: true);
        }
    }

    /// <summary>Puts held content at a path before the engine fetches it: the engine then only checks it.</summary>
    public bool TryPlace(string repositoryPath, string sha256)
    {
        var file = FilePath(repositoryPath);
        var content = ContentPath(sha256);
        lock (_linking)
        {
            if (File.Exists(file) || !File.Exists(content))
            {
                return false;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            HardLink(content, file);
            return true;
        }
    }

    /// <summary>Deletes a repository path and the folders it leaves empty.</summary>
    public void DeleteFile(string repositoryPath)
    {
        var file = FilePath(repositoryPath);
        File.Delete(file);
        for (var folder = Path.GetDirectoryName(file); folder is not null && folder.Length > FilesRoot.Length; folder = Path.GetDirectoryName(folder))
        {
            if (Directory.EnumerateFileSystemEntries(folder).Any())
            {
                break;
            }

            Directory.Delete(folder);
        }
    }

    /// <summary>Drops every content not in <paramref name="keep"/>.</summary>
    public void Prune(IReadOnlySet<string> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        foreach (var content in Directory.EnumerateFiles(Path.Combine(_root, "content", "sha256")))
        {
            if (!keep.Contains(Path.GetFileName(content)))
            {
                File.Delete(content);
            }
        }
    }

    // .NET has no File.CreateHardLink (checked on .NET 10): link(2) directly.
    private static void HardLink(string existing, string created)
    {
        if (NativeMethods.Link(existing, created) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"link('{existing}', '{created}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}). The storage folder must be on one file system that supports hard links.");
        }
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Link(string existing, string created);
    }
}
