using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Delivery.BalancerManager;

/// <summary>Checks a request's credential for balancer-manager: HTTP Basic <c>user:password</c> or a Bearer token equal to <see cref="BalancerManagerOptions.Credential"/>.</summary>
public sealed class ManagerAccess(IOptionsMonitor<BalancerManagerOptions> options)
{
    /// <summary>Null when allowed; otherwise the refusal to send.</summary>
    public IResult? Refusal(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var credential = options.CurrentValue.Credential;
        if (string.IsNullOrEmpty(credential))
        {
            return Results.Problem(statusCode: 403, title: "balancer-manager is closed",
                detail: "Set BalancerManager:Credential (user:password for Basic, or a bearer token) to open it.");
        }

        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim()
            : header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? DecodeBasic(header[6..].Trim())
            : null;
        if (presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(credential)))
        {
            return null;
        }

        context.Response.Headers.WWWAuthenticate = "Basic realm=\"balancer-manager\", charset=\"UTF-8\"";
        return Results.Problem(statusCode: 401, title: "Authentication required",
            detail: "balancer-manager needs the credential set in BalancerManager:Credential (HTTP Basic user:password, or Authorization: Bearer <token>).");
    }

    private static string? DecodeBasic(string encoded)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
