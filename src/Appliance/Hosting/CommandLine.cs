namespace Appliance.Hosting;

public enum CliCommand { Run, Version, CheckConfig, MintJwt, AddApiKey, RevokeApiKey, ListApiKeys, PrintCertificateFingerprint, Help }

/// <summary>The parsed command line. Small and hand-written: the surface is a handful of flags.</summary>
public sealed record CliOptions(CliCommand Command, string ConfigPath, string? Argument, string? User, string? Name, double? TtlHours)
{
    public const string DefaultConfigPath = "/etc/appliance/appliance.toml";

    public const string Usage = """
        usage: appliance [--config PATH]                      run the service
               appliance --version                            print version and git revision
               appliance --check-config [--config PATH]       validate the config; exit 0 (valid) or 1 (problems listed)
               appliance --mint-jwt ROLE [--user ID] [--ttl-hours H] [--config PATH]
                                                              print a signed JWT for viewer|operator|admin
               appliance --add-api-key ROLE [--name NAME]     create an API key (printed once, stored hashed)
               appliance --revoke-api-key ID                  revoke an API key by id
               appliance --list-api-keys                      list API key ids, names and roles
               appliance --print-certificate-fingerprint [--config PATH]
                                                              print the TLS certificate's SHA-256 fingerprint and
                                                              SPKI pin (the device certificate is made if absent)
        The config defaults to /etc/appliance/appliance.toml; APPLIANCE_<SECTION>_<KEY> variables override keys.
        """;

    public static CliOptions Parse(string[] args, out string? problem)
    {
        string? error = null;
        var command = CliCommand.Run;
        string config = DefaultConfigPath;
        string? argument = null, user = null, name = null;
        double? ttl = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string? Next()
            {
                if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) return args[++i];
                error ??= $"{a} needs a value";
                return null;
            }
            void Set(CliCommand c)
            {
                if (command != CliCommand.Run && command != c) error ??= $"{a} cannot be combined with another command";
                command = c;
            }
            switch (a)
            {
                case "--config" or "-c": config = Next() ?? config; break;
                case "--version" or "-V": Set(CliCommand.Version); break;
                case "--check-config": Set(CliCommand.CheckConfig); break;
                case "--mint-jwt": Set(CliCommand.MintJwt); argument = Next(); break;
                case "--add-api-key": Set(CliCommand.AddApiKey); argument = Next(); break;
                case "--revoke-api-key": Set(CliCommand.RevokeApiKey); argument = Next(); break;
                case "--list-api-keys": Set(CliCommand.ListApiKeys); break;
                case "--print-certificate-fingerprint": Set(CliCommand.PrintCertificateFingerprint); break;
                case "--user": user = Next(); break;
                case "--name": name = Next(); break;
                case "--ttl-hours":
                    var t = Next();
                    if (double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var h) && h > 0) ttl = h;
                    else error ??= "--ttl-hours needs a positive number";
                    break;
                case "--help" or "-h": Set(CliCommand.Help); break;
                default: error ??= $"unknown argument '{a}'"; break;
            }
        }
        problem = error;
        return new CliOptions(command, config, argument, user, name, ttl);
    }
}
