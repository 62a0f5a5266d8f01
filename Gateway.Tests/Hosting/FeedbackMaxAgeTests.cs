using Gateway.Delivery;
using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Hosting;

/// <summary>
/// <c>Selection:FeedbackMaxAge</c> follows <c>Tracker:VolunteerInterval</c> when unset; set, it must outlive the interval
/// of a tracker in this process (refused) or of one elsewhere (a warning at start).
/// </summary>
public sealed class FeedbackMaxAgeTests
{
    private static readonly string[] Valid = ConfigurationValidationTests.Valid;

    [Theory]
    [InlineData(new string[0], 90)]
    [InlineData(new[] { "--Tracker:Enabled=true" }, 90)]
    [InlineData(new[] { "--Tracker:Enabled=true", "--Tracker:VolunteerInterval=00:00:10" }, 30)]
    [InlineData(new[] { "--Tracker:Enabled=true", "--Selection:FeedbackMaxAge=00:00:45" }, 45)]
    public async Task Unset_it_is_three_volunteer_intervals_and_set_it_is_taken(string[] settings, int seconds)
    {
        var app = GatewayHost.Build([.. Valid, .. settings]);
        await using (app)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), app.Services.GetRequiredService<IOptions<SelectionOptions>>().Value.FeedbackMaxAge);
            Assert.False(app.Services.GetRequiredService<FeedbackAgeCheck>().WarnIfReportsGoStale());
        }
    }

    [Theory]
    [InlineData("00:00:30")]
    [InlineData("00:00:10")]
    public void With_the_tracker_in_this_process_a_max_age_not_longer_than_the_volunteer_interval_is_refused(string maxAge)
    {
        var error = Assert.Throws<OptionsValidationException>(() => GatewayHost.Build([.. Valid, "--Tracker:Enabled=true", $"--Selection:FeedbackMaxAge={maxAge}"]));
        Assert.Contains(error.Failures, f => f.Contains($"Selection:FeedbackMaxAge {maxAge} must be longer than Tracker:VolunteerInterval 00:00:30", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_tracker_elsewhere_a_max_age_not_longer_than_the_volunteer_interval_is_a_warning()
    {
        var app = GatewayHost.Build([.. Valid, "--Selection:FeedbackMaxAge=00:00:20"]);
        await using (app)
        {
            Assert.Equal(TimeSpan.FromSeconds(20), app.Services.GetRequiredService<IOptions<SelectionOptions>>().Value.FeedbackMaxAge);
            Assert.True(app.Services.GetRequiredService<FeedbackAgeCheck>().WarnIfReportsGoStale());
        }
    }
}
