namespace Gateway.Tests.Infrastructure;

/// <summary>Polls a condition with a bounded time and says what it last saw when it never held.</summary>
public static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan within, Func<string> lastSeen)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition did not hold within {within}; last seen: {lastSeen()}");
            }

            await Task.Delay(50);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, TimeSpan within, Func<string> lastSeen) =>
        HoldsAsync(() => Task.FromResult(condition()), within, lastSeen);
}
