using Appliance;
using Appliance.Configuration;
using Appliance.Hosting;
using Appliance.Security;
using Appliance.Security.Tls;

// Entry point: parse the command line, load and validate the config, then either run an
// admin command or start the service (composition in Hosting/ApplianceHost.cs).
var options = CliOptions.Parse(args, out var usageError);
if (usageError is not null)
{
    Console.Error.WriteLine($"appliance: {usageError}\n{CliOptions.Usage}");
    return 2;
}
switch (options.Command)
{
    case CliCommand.Help:
        Console.WriteLine(CliOptions.Usage);
        return 0;
    case CliCommand.Version:
        Console.WriteLine($"{AppInfo.Name} {AppInfo.Version} ({AppInfo.GitRevision}) {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}");
        return 0;
}

if (!File.Exists(options.ConfigPath))
{
    Console.Error.WriteLine($"appliance: config file {options.ConfigPath} not found (use --config PATH)");
    return 1;
}
var loaded = ConfigLoader.LoadFile(options.ConfigPath);
foreach (var warning in loaded.Warnings) Console.Error.WriteLine($"warning: {warning}");
if (!loaded.IsValid)
{
    Console.Error.WriteLine($"{options.ConfigPath}: {loaded.Problems.Count} problem(s):");
    foreach (var problem in loaded.Problems) Console.Error.WriteLine("  " + problem);
    return 1;
}
var config = loaded.Config!;
var apiKeys = new ApiKeyStore(() => config.Security.ApiKeysFile);

switch (options.Command)
{
    case CliCommand.CheckConfig:
        Console.WriteLine($"{options.ConfigPath}: valid");
        return 0;
    case CliCommand.MintJwt:
        if (!Roles.TryParse(options.Argument, out var jwtRole)) return Fail("--mint-jwt needs viewer, operator or admin");
        if (string.IsNullOrEmpty(config.Security.JwtSecret)) return Fail("security.jwt_secret is empty: cannot sign a token");
        var lifetime = TimeSpan.FromHours(options.TtlHours ?? config.Security.JwtExpiryHours);
        var maxLifetime = TimeSpan.FromSeconds(config.Security.MaxTokenLifetime);
        if (lifetime > maxLifetime)
            return Fail($"--ttl-hours {lifetime.TotalHours:0.##} is longer than security.max_token_lifetime ({maxLifetime.TotalHours:0.##} hours): the service would refuse that token");
        Console.WriteLine(new JwtAuthority(() => config.Security.JwtSecret, maxLifetime: () => maxLifetime).Mint(options.User ?? Environment.UserName, jwtRole, lifetime));
        return 0;
    case CliCommand.AddApiKey:
        if (!Roles.TryParse(options.Argument, out var keyRole)) return Fail("--add-api-key needs viewer, operator or admin");
        var (record, key) = apiKeys.Add(keyRole, options.Name ?? "");
        Console.Error.WriteLine($"API key {record.Id} ({record.Role}) added to {config.Security.ApiKeysFile}; it is shown only now:");
        Console.WriteLine(key);
        return 0;
    case CliCommand.RevokeApiKey:
        if (string.IsNullOrEmpty(options.Argument)) return Fail("--revoke-api-key needs a key id");
        if (!apiKeys.Revoke(options.Argument)) return Fail($"no API key with id {options.Argument}");
        Console.WriteLine($"API key {options.Argument} revoked");
        return 0;
    case CliCommand.ListApiKeys:
        foreach (var k in apiKeys.List()) Console.WriteLine($"{k.Id}\t{k.Role}\t{k.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}\t{k.Name}");
        return 0;
    case CliCommand.PrintCertificateFingerprint:
        // Also the first-boot unit appliance-tls.service's command: it makes the device certificate before
        // MediaMTX (which serves the same one) and the service start, and puts the fingerprint in the journal.
        try
        {
            var tls = DeviceCertificate.LoadOrCreate(config);
            if (tls.Problem is not null) Console.Error.WriteLine($"warning: {tls.Problem}; set aside as *.corrupt and a new certificate made");
            Console.Error.WriteLine($"{tls.Source.ToString().ToLowerInvariant()} certificate {tls.CertificatePath}, valid until {tls.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}");
            Console.WriteLine("sha256 Fingerprint=" + CertificateFingerprint.Sha256(tls.Certificate));
            Console.WriteLine("pin-sha256=" + CertificateFingerprint.SpkiPin(tls.Certificate));
            return 0;
        }
        catch (DeviceCertificateException e) { return Fail(e.Message); }
}

ApplianceHost host;
try { host = ApplianceHost.Create(config, options.ConfigPath); }
catch (DeviceCertificateException e) { return Fail(e.Message); }
await using (host) await host.RunAsync();
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine("appliance: " + message);
    return 1;
}
