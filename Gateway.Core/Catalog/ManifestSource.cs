using System.Net;
using System.Net.Http.Headers;

namespace Gateway.Core.Catalog;

/// <summary>Fetches the manifest from a file or URL when it changed since the version already loaded.</summary>
public sealed class ManifestSource(HttpClient http)
{
    /// <summary>The manifest and its version, or null when <paramref name="loadedVersion"/> is still current.</summary>
    /// <remarks>From a binary index, columns equal to <paramref name="previous"/>'s are shared with it (docs/manifest.md, "What a reload costs").</remarks>
    public async Task<RepositoryCatalog?> LoadIfChangedAsync(string source, string? loadedVersion, CancellationToken cancellationToken, RepositoryCatalog? previous = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        return source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? await LoadUrlAsync(new Uri(source), loadedVersion, cancellationToken).ConfigureAwait(false)
            : await LoadFileAsync(source, loadedVersion, previous, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<RepositoryCatalog?> LoadFileAsync(string path, string? loadedVersion, RepositoryCatalog? previous, CancellationToken cancellationToken)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"The manifest file '{info.FullName}' does not exist. Run 'Gateway publish <repository folder>' to make it.", info.FullName);
        }

        var version = $"file:{info.LastWriteTimeUtc.Ticks}:{info.Length}";
        if (version == loadedVersion)
        {
            return null;
        }

        // The binary index publish wrote beside the manifest loads in a fraction of the time; a stale one (made
        // from another version of the manifest) is passed over, a damaged one refused.
        var index = CatalogIndexFile.PathFor(info.FullName);
        if (File.Exists(index) && await CatalogIndexFile.LoadAsync(index, info.FullName, version, cancellationToken, previous, keepModified: false).ConfigureAwait(false) is { } indexed)
        {
            return indexed;
        }

        // publish writes a temporary file and renames it, so an open stream sees one whole version.
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        return await ManifestReader.LoadAsync(stream, version, cancellationToken, keepModified: false).ConfigureAwait(false);
    }

    private async Task<RepositoryCatalog?> LoadUrlAsync(Uri url, string? loadedVersion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (loadedVersion is not null && loadedVersion.StartsWith("etag:", StringComparison.Ordinal)
            && EntityTagHeaderValue.TryParse(loadedVersion["etag:".Length..], out var etag))
        {
            request.Headers.IfNoneMatch.Add(etag);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {url} for the manifest answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }

        var version = response.Headers.ETag is { } tag ? "etag:" + tag
            : response.Content.Headers.LastModified is { } modified ? $"modified:{modified.UtcTicks}:{response.Content.Headers.ContentLength}"
            : null;
        if (version is not null && version == loadedVersion)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var catalog = await ManifestReader.LoadAsync(stream, version ?? string.Empty, cancellationToken, keepModified: false).ConfigureAwait(false);
        return version is not null ? catalog : new RepositoryCatalog(catalog.Table, $"generated:{catalog.Generated.UtcTicks}:{catalog.Count}");
    }
}
