using Gateway.Delivery.Selection.Apache;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Selection;

/// <summary>
/// Apache's per-member <c>timeout</c> in proxy mode, through YARP's forwarder (verification off) and the
/// verified body (on): every slow volunteer answers after 2 s; the cluster-wide activity timeout is 1 s.
/// </summary>
public sealed class MemberTimeoutTests
{
    private const string Patient = "pool/main/p/patient_1.0_amd64.deb";
    private const string Impatient = "pool/main/i/impatient_1.0_amd64.deb";
    private const string Default = "pool/main/d/default_1.0_amd64.deb";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_member_with_timeout_one_second_fails_over_while_one_with_a_longer_timeout_is_waited_for(bool verify)
    {
        using var repository = new TestRepository();
        foreach (var file in new[] { Patient, Impatient, Default })
        {
            repository.Add(file, 50_000);
        }

        await repository.PublishAsync();
        string[] all = [Patient, Impatient, Default];
        await using var patient = await TestVolunteer.StartAsync("patient", repository.MirrorFolder("patient", all));
        await using var impatient = await TestVolunteer.StartAsync("impatient", repository.MirrorFolder("impatient", all));
        await using var plain = await TestVolunteer.StartAsync("plain", repository.MirrorFolder("plain", all));
        await using var quick = await TestVolunteer.StartAsync("quick", repository.MirrorFolder("quick", all));
        foreach (var slow in new[] { patient, impatient, plain })
        {
            slow.Behavior = VolunteerBehavior.Slow;
            slow.SlowDelay = TimeSpan.FromSeconds(2);
        }

        // lbset 1 makes "quick" the fallback, so each slow member is tried first for the file it holds.
        await using var gateway = await GatewayUnderTest.StartAsync(repository, [patient, impatient, plain, quick],
            "--Gateway:Mode=Proxy", $"--Verify:Proxy={verify}", "--Selection:Policy=byrequests", "--Health:PassiveEnabled=false",
            "--Proxy:ActivityTimeout=00:00:01", "--Proxy:MaxAttempts=3", "--Balancer:FailOnTimeout=true",
            "--Volunteers:0:Timeout=00:00:08", "--Volunteers:1:Timeout=00:00:00.5", "--Volunteers:3:LbSet=1");
        await gateway.HoldAsync("patient", Patient);
        await gateway.HoldAsync("impatient", Impatient);
        await gateway.HoldAsync("plain", Default);
        await gateway.HoldAsync("quick", Impatient, Default);
        var members = gateway.App.Services.GetRequiredService<BalancerMembers>();

        // Slower than the cluster's 1 s, within its own 8 s: waited for.
        Assert.Equal(repository.Read(Patient), await gateway.Client.GetByteArrayAsync(Patient));
        Assert.Single(patient.Hits);
        Assert.Null(members.Find("patient")!.ErrorSince);

        // Its own 0.5 s runs out: failover to the next holder, and (failontimeout) the member is in error.
        Assert.Equal(repository.Read(Impatient), await gateway.Client.GetByteArrayAsync(Impatient));
        Assert.Single(impatient.Hits);
        Assert.Single(quick.Hits);
        Assert.NotNull(members.Find("impatient")!.ErrorSince);

        // In error until its retry passes: the next request goes straight to the fallback.
        Assert.Equal(repository.Read(Impatient), await gateway.Client.GetByteArrayAsync(Impatient));
        Assert.Single(impatient.Hits);
        Assert.Equal(2, quick.Hits.Count);

        // A member without its own timeout keeps the cluster's 1 s.
        Assert.Equal(repository.Read(Default), await gateway.Client.GetByteArrayAsync(Default));
        Assert.Single(plain.Hits);
        Assert.Equal(3, quick.Hits.Count);
        Assert.NotNull(members.Find("plain")!.ErrorSince);
    }
}
