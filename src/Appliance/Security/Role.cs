namespace Appliance.Security;

/// <summary>Roles are ordered: a higher role may do everything a lower one may.</summary>
public enum Role { None = 0, Viewer = 1, Operator = 2, Admin = 3 }

public static class Roles
{
    public static bool TryParse(string? text, out Role role)
    {
        role = text switch
        {
            "viewer" => Role.Viewer,
            "operator" => Role.Operator,
            "admin" => Role.Admin,
            _ => Role.None,
        };
        return role != Role.None;
    }

    public static string Name(Role role) => role switch
    {
        Role.Viewer => "viewer",
        Role.Operator => "operator",
        Role.Admin => "admin",
        _ => "none",
    };

    private static readonly string[] ViewerPermissions = ["view"];
    private static readonly string[] OperatorPermissions = ["view", "control"];
    private static readonly string[] AdminPermissions = ["view", "control", "admin"];

    /// <summary>The contract's permission lists per role.</summary>
    public static string[] Permissions(Role role) => role switch
    {
        Role.Viewer => ViewerPermissions,
        Role.Operator => OperatorPermissions,
        Role.Admin => AdminPermissions,
        _ => [],
    };
}
