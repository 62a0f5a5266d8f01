namespace Gateway.Cli;

/// <summary>The executable's exit codes, the same for every command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;

    /// <summary>Bad usage or configuration; the message names the option or setting.</summary>
    public const int Usage = 2;
}
