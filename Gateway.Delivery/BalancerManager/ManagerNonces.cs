using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.BalancerManager;

/// <summary>
/// One-time nonces for balancer-manager edits (against cross-site requests): every page or JSON view
/// issues one; an edit must bring it back before it expires, and it is then spent.
/// </summary>
public sealed class ManagerNonces(IOptionsMonitor<BalancerManagerOptions> options, TimeProvider time)
{
    // Bounds memory when someone reloads the page in a loop: the oldest nonces go first.
    private const int MaxOutstanding = 1024;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiry = new(StringComparer.Ordinal);

    public string Issue()
    {
        var now = time.GetUtcNow();
        if (_expiry.Count >= MaxOutstanding)
        {
            foreach (var (nonce, expires) in _expiry.OrderBy(p => p.Value).Take(_expiry.Count - MaxOutstanding + 1))
            {
                _expiry.TryRemove(nonce, out _);
            }
        }

        var issued = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _expiry[issued] = now + options.CurrentValue.NonceLifetime;
        return issued;
    }

    /// <summary>True once for a nonce this process issued that has not expired.</summary>
    public bool TrySpend(string? nonce) =>
        !string.IsNullOrEmpty(nonce) && _expiry.TryRemove(nonce, out var expires) && time.GetUtcNow() <= expires;
}
