namespace Gateway.Simulation.Model;

/// <summary>How the gateway learns about transfers: in redirect mode it never sees them end.</summary>
internal enum GatewayMode
{
    Redirect,
    Proxy,
}

/// <summary>How request sizes are drawn.</summary>
internal enum SizeModel
{
    /// <summary>The paper's Section 2 trace: 81% under 256 KB, files over 4 MB hold about 80% of the bytes.</summary>
    Trace,

    /// <summary>The paper's Section 4.2 simulation: every package the same size.</summary>
    Equal,
}

/// <summary>What each volunteer holds.</summary>
internal enum HoldingModel
{
    /// <summary>Every online volunteer holds every file (the paper's setting; the released package after its replication).</summary>
    Full,

    /// <summary>Partial mirrors of a catalog with skewed popularity (<see cref="PartialMirrors"/>): what no online volunteer holds goes to the origin.</summary>
    Partial,
}

/// <summary>One simulated run's parameters. Everything random derives from <see cref="Seed"/>.</summary>
internal sealed record Scenario
{
    public int Volunteers { get; init; } = 8;

    /// <summary>Upload capacity of each volunteer (10 Mbit/s).</summary>
    public double CapacityBytesPerSecond { get; init; } = 1_250_000;

    /// <summary>Every other volunteer synchronizes continuously (the paper's half).</summary>
    public double SyncingShare { get; init; } = 0.5;

    /// <summary>Flows a syncing volunteer uploads to its peers (BitTorrent's four unchoked peers).</summary>
    public int SyncFlowsPerVolunteer { get; init; } = 4;

    /// <summary>
    /// Per volunteer, the most bytes per second its sync flows want together (null: they always take their equal
    /// shares). The real run's validation passes what each syncing volunteer was measured to upload.
    /// </summary>
    public IReadOnlyList<double>? SyncDemand { get; init; }

    /// <summary>Customer load as a share of the volunteers' aggregate upload capacity.</summary>
    public double Load { get; init; } = 1.0;

    public int Requests { get; init; } = 2_000;

    public SizeModel Sizes { get; init; } = SizeModel.Equal;

    public double EqualSizeBytes { get; init; } = 16 * 1024 * 1024;

    public double AnnounceIntervalSeconds { get; init; } = 30;

    public GatewayMode Mode { get; init; } = GatewayMode.Redirect;

    /// <summary>A third of the requests are for one package released at the start, decaying like the paper's Fig. 5.</summary>
    public bool FlashCrowd { get; init; }

    public double HotPackageBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Volunteers fetch the new package by BitTorrent within this many seconds of its release.</summary>
    public double ReplicationSeconds { get; init; } = 60;

    /// <summary>Volunteers join and leave, with exponential online and offline periods of these means.</summary>
    public bool Volatile { get; init; }

    public double MeanOnlineSeconds { get; init; } = 600;

    public double MeanOfflineSeconds { get; init; } = 120;

    /// <summary>The origin serves what no volunteer holds yet.</summary>
    public double OriginCapacityBytesPerSecond { get; init; } = 125_000_000;

    public int Seed { get; init; } = 1;

    public HoldingModel Holdings { get; init; } = HoldingModel.Full;

    /// <summary>Files in the repository (partial holdings), ranked by popularity: about Debian main's binary packages for one architecture.</summary>
    public int CatalogFiles { get; init; } = 60_000;

    /// <summary>Zipf exponent of file popularity by rank (partial holdings).</summary>
    public double PopularityExponent { get; init; } = 1.0;

    /// <summary>Share of volunteers that are full mirrors (partial holdings); the rest hold part of the repository.</summary>
    public double FullMirrorShare { get; init; }

    /// <summary>
    /// A partial mirror holds a log-uniform share of the files between this and <see cref="PartialShareHigh"/>: 600 to
    /// 3,000 of 60,000, about what one installed system or a small office's cache holds.
    /// </summary>
    public double PartialShareLow { get; init; } = 0.01;

    public double PartialShareHigh { get; init; } = 0.05;

    /// <summary>Mean request size of the size model (bytes), for the arrival rate.</summary>
    public double MeanRequestBytes => Sizes == SizeModel.Equal ? EqualSizeBytes : FileSizes.TraceMeanBytes;

    /// <summary>Aggregate customer arrival rate (requests per second) for requests of <paramref name="meanBytes"/> on average.</summary>
    public double ArrivalRate(double meanBytes) => Load * Volunteers * CapacityBytesPerSecond / meanBytes;
}
