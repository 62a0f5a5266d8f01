using Gateway.Delivery.Selection.Apache;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Selection;

public sealed class StickyRouteReaderTests
{
    [Theory]
    [InlineData("ROUTEID=abc.r1", "r1")]
    [InlineData("a=1; ROUTEID=abc.r1; b=2", "r1")]
    [InlineData("a=1,ROUTEID = x.r2", "r2")]
    [InlineData("xROUTEID=abc.r1", null)]
    [InlineData("ROUTEID=a.b.r1", "b.r1")]
    [InlineData("ROUTEID=noroute", null)]
    [InlineData("ROUTEID=abc.", null)]
    [InlineData("ROUTEID=", null)]
    public void The_cookie_route_is_the_value_after_the_first_separator_as_in_apache(string cookie, string? route) =>
        Assert.Equal(route, StickyRouteReader.RouteOf(Request("/f.deb", "", cookie), new BalancerOptions { StickySession = "ROUTEID" }));

    [Theory]
    [InlineData("/f.deb", "?ROUTEID=s.r0", "r0")]
    [InlineData("/f.deb", "?x=1&ROUTEID=s.r2&y=2", "r2")]
    [InlineData("/f.deb;ROUTEID=s.r0", "?x=1", "r0")]
    [InlineData("/f.deb", "?ROUTEID=", "r1")]
    public void The_url_parameter_wins_over_the_cookie_and_an_empty_one_is_skipped(string path, string query, string route) =>
        Assert.Equal(route, StickyRouteReader.RouteOf(Request(path, query, "ROUTEID=c.r1"), new BalancerOptions { StickySession = "ROUTEID" }));

    [Fact]
    public void Cookie_and_url_parameter_names_split_at_the_bar_and_a_semicolon_ends_the_value_only_with_scolonpathdelim()
    {
        var split = new BalancerOptions { StickySession = "JSESSIONID|jsessionid" };
        Assert.Equal("r1", StickyRouteReader.RouteOf(Request("/f.deb", "", "JSESSIONID=a.r1"), split));
        Assert.Null(StickyRouteReader.RouteOf(Request("/f.deb", "", "jsessionid=a.r1"), split));
        Assert.Equal("r1;x=1", StickyRouteReader.RouteOf(Request("/f;jsessionid=a.r1;x=1", "", null), split));
        split.ScolonPathDelim = true;
        Assert.Equal("r1", StickyRouteReader.RouteOf(Request("/f;jsessionid=a.r1;x=1", "", null), split));
        Assert.Equal("r2", StickyRouteReader.RouteOf(Request("/f.deb", "", "JSESSIONID=a_r2"), new BalancerOptions { StickySession = "JSESSIONID", StickySessionSeparator = '_' }));
        Assert.Null(StickyRouteReader.RouteOf(Request("/f.deb", "", "JSESSIONID=a.r2"), new BalancerOptions()));
    }

    private static HttpRequest Request(string path, string query, string? cookie)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        if (cookie is not null)
        {
            context.Request.Headers.Cookie = cookie;
        }

        return context.Request;
    }
}
