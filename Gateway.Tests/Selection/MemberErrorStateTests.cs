using Gateway.Delivery;
using Gateway.Delivery.Proxy.Attempts;
using Gateway.Delivery.Selection.Apache;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Selection;

/// <summary>Which attempts put an Apache member in error, under each <see cref="ErrorSemantics"/> (httpd's rules: docs/apache-compatibility.md).</summary>
public sealed class MemberErrorStateTests
{
    [Theory]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.Unreachable, 0, "", false, true)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.NoAnswer, 0, "", false, false)]
    [InlineData(ErrorSemantics.Failover, AttemptFailure.NoAnswer, 0, "", false, true)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.NoAnswer, 0, "502", false, true)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.None, 503, "", false, false)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.None, 503, "503", false, true)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.None, 200, "503", false, false)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.TimedOut, 0, "", false, false)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.TimedOut, 0, "", true, true)]
    [InlineData(ErrorSemantics.Apache, AttemptFailure.TimedOut, 0, "502", false, true)]
    [InlineData(ErrorSemantics.Failover, AttemptFailure.TimedOut, 0, "502", false, false)]
    public void An_attempt_puts_the_member_in_error_as_httpd_does(ErrorSemantics semantics, AttemptFailure failure, int status, string failOnStatus, bool failOnTimeout, bool inError)
    {
        var balancer = new BalancerOptions { FailOnTimeout = failOnTimeout };
        balancer.FailOnStatus.AddRange(failOnStatus.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
        using var harness = new ApacheBalancerHarness([ApacheBalancerHarness.Member("m0")], balancer);
        var accounting = new MemberAccounting(harness.Members, harness.Balancer, new FixedOptionsMonitor<ProxyOptions>(new ProxyOptions { ErrorSemantics = semantics }));

        accounting.End(accounting.Begin("m0"), 0, new AttemptResult(failure, status, 0, null));
        Assert.Equal(inError, harness.Members.Find("m0")!.ErrorSince is not null);
    }

    [Fact]
    public void A_member_with_ignore_errors_stays_in_service_after_a_failed_connection()
    {
        using var harness = new ApacheBalancerHarness([ApacheBalancerHarness.Member("m0", status: "+I")]);
        var accounting = new MemberAccounting(harness.Members, harness.Balancer, new FixedOptionsMonitor<ProxyOptions>(new ProxyOptions { ErrorSemantics = ErrorSemantics.Apache }));
        accounting.End(accounting.Begin("m0"), 0, new AttemptResult(AttemptFailure.Unreachable, 0, 0, null));
        Assert.True(harness.Members.Find("m0")!.IsUsable);
    }
}
