using Gateway.Simulation.Harness;

namespace Gateway.Tests.Simulation;

/// <summary>The customers' per-volunteer counts the real byte-counter policy reads: picks not yet begun, transfers in flight, bytes.</summary>
public sealed class CustomerMeterTests
{
    // v0 and v1 by address; the gateway's own address (proxy mode) by what it chose for the request: v1.
    private static CustomerMeter Meter() => new(["v0", "v1"], (request, authority) => authority switch
    {
        "10.0.0.10:8081" => "v0",
        "10.0.0.11:8081" => "v1",
        "127.0.0.1:5000" when request == 7 => "v1",
        _ => null,
    });

    [Fact]
    public void A_pick_counts_as_pending_until_its_transfer_begins_then_as_in_flight_until_it_ends()
    {
        var meter = Meter();

        meter.Expect(1, "v0");
        Assert.Equal(1, meter.Pending("v0"));
        Assert.Equal(0, meter.InFlight("v0"));

        var transfer = meter.Serve(default, 1, "10.0.0.10:8081");
        Assert.Equal(0, meter.Pending("v0"));
        Assert.Equal(1, meter.InFlight("v0"));

        transfer.Received(1000);
        transfer.Received(24);
        Assert.Equal(1024, meter.Bytes("v0"));
        Assert.Equal(0, meter.Bytes("v1"));

        transfer.End();
        meter.Settle(1);
        Assert.Equal(0, meter.InFlight("v0"));
        Assert.Equal(0, meter.Pending("v0"));
        Assert.Equal(1024, meter.Bytes("v0"));
    }

    [Fact]
    public void A_pick_whose_request_failed_before_a_transfer_stops_counting_when_the_request_is_settled()
    {
        var meter = Meter();
        meter.Expect(2, "v1");

        meter.Settle(2);

        Assert.Equal(0, meter.Pending("v1"));
    }

    [Fact]
    public void A_second_pick_for_the_same_request_moves_it_to_the_new_volunteer()
    {
        var meter = Meter();
        meter.Expect(3, "v0");

        meter.Expect(3, "v1");

        Assert.Equal(0, meter.Pending("v0"));
        Assert.Equal(1, meter.Pending("v1"));
    }

    [Fact]
    public void The_same_volunteer_answering_again_is_one_transfer_and_an_unknown_authority_none()
    {
        var meter = Meter();
        var transfer = meter.Serve(default, 4, "10.0.0.11:8081");

        transfer = meter.Serve(transfer, 4, "10.0.0.11:8081");
        var none = meter.Serve(default, 5, "192.0.2.1:80");
        none.Received(500);
        none.End();

        Assert.Equal(1, meter.InFlight("v1"));
        Assert.Equal(0, meter.InFlight("v0"));
        Assert.Equal(0, meter.Bytes("v0") + meter.Bytes("v1"));
        transfer.End();
        Assert.Equal(0, meter.InFlight("v1"));
    }

    [Fact]
    public void A_body_from_the_gateway_itself_is_counted_at_the_volunteer_it_chose()
    {
        var meter = Meter();

        var transfer = meter.Serve(default, 7, "127.0.0.1:5000");
        transfer.Received(300);

        Assert.Equal(300, meter.Bytes("v1"));
        Assert.Equal(1, meter.InFlight("v1"));
    }
}
