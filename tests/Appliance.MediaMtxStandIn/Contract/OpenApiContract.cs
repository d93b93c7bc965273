using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Exchanges;

namespace Appliance.Testing.MediaMtx.Contract;

/// <summary>
/// Checks HTTP exchanges against MediaMTX's openapi.yaml (v1.20.1): the request's method and
/// path match an operation, its query parameters are declared (and integers where declared so),
/// its body fits the request schema; the response's status is listed for the operation and its
/// body (when non-empty) fits that status's schema. Returns every violation, not just the first.
/// </summary>
public sealed class OpenApiContract
{
    private static readonly Lazy<OpenApiContract> Shared = new(() => Load(OpenApiDocument.DefaultPath));

    private readonly List<Operation> _operations;

    private OpenApiContract(OpenApiDocument document)
    {
        Document = document;
        Validator = new SchemaValidator(document);
        _operations = ReadOperations(document);
    }

    public OpenApiDocument Document { get; }

    public SchemaValidator Validator { get; }

    /// <summary>The project's copy (tests/reference/mediamtx/openapi.yaml), loaded once.</summary>
    public static OpenApiContract Default => Shared.Value;

    public static OpenApiContract Load(string openApiYamlPath) => new(OpenApiDocument.Load(openApiYamlPath));

    public IReadOnlyList<ContractViolation> CheckRequest(string method, string pathAndQuery, string? body)
    {
        var violations = new List<ContractViolation>();
        var (path, query) = SplitTarget(pathAndQuery);
        var operation = Find(method, path);
        if (operation is null)
        {
            violations.Add(new("request", $"no operation {method.ToUpperInvariant()} {path} in openapi.yaml"));
            return violations;
        }
        CheckQuery(operation, query, violations);
        CheckRequestBody(operation, body, violations);
        return violations;
    }

    public IReadOnlyList<ContractViolation> CheckResponse(string method, string pathAndQuery, int status, string? body)
    {
        var violations = new List<ContractViolation>();
        var operation = Find(method, SplitTarget(pathAndQuery).Path);
        if (operation is null)
        {
            violations.Add(new("request", $"no operation {method.ToUpperInvariant()} {SplitTarget(pathAndQuery).Path} in openapi.yaml"));
            return violations;
        }
        if (operation.Definition["responses"]?[status.ToString(CultureInfo.InvariantCulture)] is not JsonObject response)
        {
            violations.Add(new("response.status", $"{status} is not a listed response of {operation.Id}"));
            return violations;
        }
        if (string.IsNullOrEmpty(body)) return violations; // MediaMTX before 1.15.5 answers success with no body
        var schema = response["content"]?["application/json"]?["schema"] as JsonObject;
        if (schema is null)
        {
            violations.Add(new("response.body", $"{operation.Id} {status} declares no body, got {body.Length} characters"));
            return violations;
        }
        ValidateJsonText(body, schema, violations);
        return violations;
    }

    /// <summary>Both halves of a logged exchange. A dropped connection has no response to check.</summary>
    public IReadOnlyList<ContractViolation> CheckExchange(ApiExchange exchange)
    {
        var violations = new List<ContractViolation>(CheckRequest(exchange.Method, exchange.PathAndQuery, exchange.RequestBody));
        if (exchange.Status is { } status)
            violations.AddRange(CheckResponse(exchange.Method, exchange.PathAndQuery, status, exchange.ResponseBody));
        return violations;
    }

    private void CheckQuery(Operation operation, IReadOnlyList<KeyValuePair<string, string>> query, List<ContractViolation> violations)
    {
        var declared = Parameters(operation, "query");
        foreach (var (name, value) in query)
        {
            if (!declared.TryGetValue(name, out var parameter))
            {
                violations.Add(new($"request.query.{name}", $"not a declared query parameter of {operation.Id}"));
                continue;
            }
            if ((string?)parameter["schema"]?["type"] == "integer" && !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                violations.Add(new($"request.query.{name}", $"'{value}' is not an integer"));
        }
        foreach (var (name, parameter) in declared)
            if (parameter["required"] is JsonValue required && required.GetValue<bool>() && !query.Any(q => q.Key == name))
                violations.Add(new($"request.query.{name}", "required query parameter is missing"));
    }

    private void CheckRequestBody(Operation operation, string? body, List<ContractViolation> violations)
    {
        var requestBody = operation.Definition["requestBody"] as JsonObject;
        if (requestBody is null)
        {
            if (!string.IsNullOrEmpty(body)) violations.Add(new("request.body", $"{operation.Id} takes no body"));
            return;
        }
        if (string.IsNullOrEmpty(body))
        {
            if (requestBody["required"] is JsonValue required && required.GetValue<bool>())
                violations.Add(new("request.body", $"{operation.Id} requires a body"));
            return;
        }
        if (requestBody["content"]?["application/json"]?["schema"] is JsonObject schema)
            ValidateJsonText(body, schema, violations);
    }

    private void ValidateJsonText(string body, JsonObject schema, List<ContractViolation> violations)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(body); }
        catch (JsonException e)
        {
            violations.Add(new("$", $"not JSON: {e.Message}"));
            return;
        }
        Validator.Validate(node, schema, "$", violations);
    }

    private static Dictionary<string, JsonObject> Parameters(Operation operation, string location) =>
        (operation.Definition["parameters"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(p => (string?)p["in"] == location)
            .ToDictionary(p => (string)p["name"]!, p => p, StringComparer.Ordinal);

    private Operation? Find(string method, string path) =>
        _operations.FirstOrDefault(o => o.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && o.Matches(path));

    private static (string Path, IReadOnlyList<KeyValuePair<string, string>> Query) SplitTarget(string pathAndQuery)
    {
        var mark = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        if (mark < 0) return (Uri.UnescapeDataString(pathAndQuery), []);
        var query = pathAndQuery[(mark + 1)..]
            .Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair =>
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = eq < 0 ? pair : pair[..eq];
                var value = eq < 0 ? "" : pair[(eq + 1)..];
                return KeyValuePair.Create(Uri.UnescapeDataString(key), Uri.UnescapeDataString(value.Replace('+', ' ')));
            })
            .ToList();
        return (Uri.UnescapeDataString(pathAndQuery[..mark]), query);
    }

    private static List<Operation> ReadOperations(OpenApiDocument document)
    {
        var operations = new List<Operation>();
        foreach (var (template, item) in document.Root["paths"] as JsonObject ?? [])
            foreach (var (method, definition) in item as JsonObject ?? [])
                if (definition is JsonObject operation)
                    operations.Add(new Operation(method, template, (string?)operation["operationId"] ?? template, operation));
        return operations;
    }

    private sealed record Operation(string Method, string Template, string Id, JsonObject Definition)
    {
        // MediaMTX routes names as gin wildcards (*name), so "{name}" at the end of a template
        // takes the rest of the path, slashes included ("cams/front"); elsewhere one segment.
        public bool Matches(string path)
        {
            var templateParts = Template.Split('/');
            var pathParts = path.Split('/');
            for (var i = 0; i < templateParts.Length; i++)
            {
                var part = templateParts[i];
                var isParameter = part.StartsWith('{') && part.EndsWith('}');
                if (isParameter && i == templateParts.Length - 1)
                    return pathParts.Length > i && string.Join('/', pathParts[i..]).Length > 0;
                if (i >= pathParts.Length) return false;
                if (isParameter ? pathParts[i].Length == 0 : part != pathParts[i]) return false;
            }
            return pathParts.Length == templateParts.Length;
        }
    }
}
