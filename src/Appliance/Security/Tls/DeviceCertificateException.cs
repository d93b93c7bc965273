namespace Appliance.Security.Tls;

/// <summary>The TLS certificate could not be loaded or made; the message names the file and why.</summary>
public sealed class DeviceCertificateException(string message, Exception? inner = null) : Exception(message, inner);
