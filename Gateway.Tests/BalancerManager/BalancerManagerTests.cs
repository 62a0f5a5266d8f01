using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Gateway.Tests.EndToEnd;
using Microsoft.Playwright;

using static Gateway.Tests.EndToEnd.DownloadScenario;

namespace Gateway.Tests.BalancerManager;

public sealed class BalancerManagerTests : IDisposable
{
    private const string User = "admin";
    private const string Password = "correct-horse-battery";
    private readonly string _stateFile = Path.Combine(Path.GetTempPath(), "gw-tests", $"bm-{Guid.NewGuid():N}.json");

    [Fact]
    public async Task The_page_shows_the_members_and_a_loadfactor_edit_changes_the_next_requests_distribution()
    {
        await using var s = await StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await SignedInPageAsync(browser);
        var response = await page.GotoAsync($"{s.Gateway.Url}/balancer-manager");
        Assert.Equal(200, response!.Status);
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            var row = page.Locator($"tr[data-member='{id}']");
            Assert.Contains(s.Gateway[id].BaseUrl.ToString(), await row.InnerTextAsync(), StringComparison.Ordinal);
            Assert.Equal("1", await row.Locator("td.factor").InnerTextAsync());
        }

        var before = await DistributionAsync(s, 12);
        Assert.Equal([4, 4, 4], before);

        var v1 = page.Locator("tr[data-member='v1']");
        await v1.Locator("input[name='lf']").FillAsync("4");
        await v1.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.Locator("#message").WaitForAsync();
        Assert.Equal("v1 updated", await page.Locator("#message").InnerTextAsync());
        Assert.Equal("4", await page.Locator("tr[data-member='v1'] td.factor").InnerTextAsync());

        // byrequests: with factors 4, 1, 1 every cycle of six requests gives v1 four of them.
        var after = await DistributionAsync(s, 12);
        Assert.Equal([8, 2, 2], after);
    }

    [Fact]
    public async Task An_edit_without_the_pages_nonce_is_refused_with_a_clear_message()
    {
        await using var s = await StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await SignedInPageAsync(browser);
        await page.GotoAsync($"{s.Gateway.Url}/balancer-manager");

        // What a forged cross-site form would send: the browser adds the credential, but not the page's nonce.
        var forged = await page.APIRequest.PostAsync($"{s.Gateway.Url}/balancer-manager", new() { Form = FormOf(page, ("w", "v1"), ("lf", "50")) });
        Assert.Equal(403, forged.Status);
        Assert.Contains("no valid nonce", await forged.TextAsync(), StringComparison.Ordinal);

        var nonce = await page.Locator("tr[data-member='v1'] input[name='nonce']").GetAttributeAsync("value");
        var stale = await page.APIRequest.PostAsync($"{s.Gateway.Url}/balancer-manager", new() { Form = FormOf(page, ("nonce", (nonce![0] == '0' ? "1" : "0") + nonce[1..]), ("w", "v1"), ("lf", "50")) });
        Assert.Equal(403, stale.Status);
        await page.ReloadAsync();
        Assert.Equal("1", await page.Locator("tr[data-member='v1'] td.factor").InnerTextAsync());
    }

    [Fact]
    public async Task Without_the_credential_the_page_and_its_edits_are_refused()
    {
        await using var s = await StartAsync();
        using var anonymous = await s.Gateway.Client.GetAsync("/balancer-manager");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("BalancerManager:Credential", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/balancer-manager");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin:guess-guess-guess");
        using var refused = await s.Gateway.Client.SendAsync(wrong);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Edits_from_a_script_apply_at_once_and_survive_a_restart()
    {
        await using (var s = await StartAsync())
        {
            var view = await JsonViewAsync(s);
            Assert.Equal(["v1", "v2", "v3"], view["members"]!.AsArray().Select(m => (string)m!["id"]!));
            Assert.Equal("byrequests", (string)view["lbMethod"]!);

            var edit = await PostAsync(s, (string)view["nonce"]!, ("w", "v2"), ("lf", "2.5"), ("ls", "1"), ("wr", "r2"), ("rr", "r1"), ("status_H", "1"));
            Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
            var method = await PostAsync(s, (string)(await JsonViewAsync(s))["nonce"]!, ("lbmethod", "bybusyness"));
            Assert.Equal(HttpStatusCode.OK, method.StatusCode);

            view = await JsonViewAsync(s);
            var v2 = view["members"]![1]!;
            Assert.Equal((2.5, 1, "r2", "r1", "+H"), ((double)v2["factor"]!, (int)v2["set"]!, (string)v2["route"]!, (string)v2["routeRedir"]!, (string)v2["statusFlags"]!));
            Assert.Equal("bybusyness", (string)view["lbMethod"]!);
            var reused = await PostAsync(s, (string)view["nonce"]!, ("w", "v2"), ("lf", "3"));
            Assert.Equal(HttpStatusCode.OK, reused.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(s, (string)view["nonce"]!, ("w", "v2"), ("lf", "4"))).StatusCode);
        }

        await using (var restarted = await StartAsync())
        {
            var view = await JsonViewAsync(restarted);
            var v2 = view["members"]![1]!;
            Assert.Equal((3.0, 1, "r2", "r1", "+H"), ((double)v2["factor"]!, (int)v2["set"]!, (string)v2["route"]!, (string)v2["routeRedir"]!, (string)v2["statusFlags"]!));
            Assert.Equal("bybusyness", (string)view["lbMethod"]!);
        }
    }

    public void Dispose() => File.Delete(_stateFile);

    private Task<DownloadScenario> StartAsync() => StartWithHoldersAsync(
        "--Gateway:Mode=Redirect", "--Gateway:SmallFileThreshold=0", "--Selection:Policy=byrequests",
        $"--BalancerManager:Credential={User}:{Password}", $"--BalancerManager:StateFile={_stateFile}");

    private static async Task<DownloadScenario> StartWithHoldersAsync(params string[] settings)
    {
        var s = await DownloadScenario.StartAsync(settings);
        foreach (var id in new[] { "v1", "v2", "v3" })
        {
            await s.Gateway.HoldAsync(id, Big);
        }

        return s;
    }

    private static async Task<IPage> SignedInPageAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new() { HttpCredentials = new() { Username = User, Password = Password } });
        return await context.NewPageAsync();
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    private static IFormData FormOf(IPage page, params (string Name, string Value)[] fields)
    {
        var form = page.APIRequest.CreateFormData();
        foreach (var (name, value) in fields)
        {
            form.Set(name, value);
        }

        return form;
    }

    private static async Task<int[]> DistributionAsync(DownloadScenario s, int requests)
    {
        var counts = new int[3];
        for (var i = 0; i < requests; i++)
        {
            using var response = await s.Gateway.Client.GetAsync(Big);
            var port = response.Headers.Location!.Port;
            counts[s.Gateway.Volunteers.Select((v, n) => (v, n)).Single(p => p.v.Port == port).n]++;
        }

        return counts;
    }

    private static async Task<JsonNode> JsonViewAsync(DownloadScenario s)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/balancer-manager?format=json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"{User}:{Password}");
        using var response = await s.Gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!;
    }

    private static async Task<HttpResponseMessage> PostAsync(DownloadScenario s, string nonce, params (string Name, string Value)[] fields)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/balancer-manager?format=json")
        {
            Content = new FormUrlEncodedContent([new("nonce", nonce), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"{User}:{Password}");
        return await s.Gateway.Client.SendAsync(request);
    }
}
