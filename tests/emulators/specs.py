"""Load the published API specifications the emulators check traffic against.

The files live in ``shared/api-specs`` beside the repository (``<repo>/../shared/api-specs``);
the environment variable ``ECOM_API_SPECS`` points elsewhere when set.
"""

import functools
import gzip
import json
import os
import re
from pathlib import Path

import jsonschema
from graphql import GraphQLError, build_client_schema, parse, validate

REPO_ROOT = Path(__file__).resolve().parents[2]


def specs_dir():
    env = os.environ.get("ECOM_API_SPECS")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "api-specs"
    if not path.is_dir():
        raise FileNotFoundError(
            "API specs not found at %s: set ECOM_API_SPECS to the api-specs folder" % path
        )
    return path


@functools.cache
def load_json(relative):
    path = specs_dir() / relative
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


# ---------------------------------------------------------------------- Shopify
@functools.cache
def shopify_schema(version="2025-01"):
    """The Admin GraphQL schema built from Shopify's introspection result."""
    data = load_json("shopify-admin-graphql/admin_schema_%s.json.gz" % version)
    return build_client_schema(data.get("data", data))


def validate_graphql(document, version="2025-01"):
    """Parse and validate ``document`` against the schema; return the error messages."""
    try:
        ast = parse(document)
    except GraphQLError as exc:
        return [exc.message]
    return [e.message for e in validate(shopify_schema(version), ast)]


# ---------------------------------------------------------------------- WooCommerce
_WP_TYPES = {"date-time": "string", "mixed": None}


def _wp_arg_schema(arg):
    kind = arg.get("type")
    schema = {}
    if kind == "object" and "items" in arg:  # the docs describe some lists as objects
        schema["type"] = ["array", "object"]
    elif kind in _WP_TYPES:
        if _WP_TYPES[kind]:
            schema["type"] = _WP_TYPES[kind]
    elif kind:
        schema["type"] = kind
    if "enum" in arg:
        schema["enum"] = arg["enum"]
    if schema.get("type") == "array" and isinstance(arg.get("items"), dict):
        item_type = arg["items"].get("type")
        if item_type in ("integer", "string", "number", "boolean", "object"):
            schema["items"] = {"type": item_type}
    return schema


@functools.cache
def _woo_routes():
    index = load_json("woocommerce/wc-v3-route-index.extracted.json")
    routes = []
    for pattern, route in index["routes"].items():
        regex = re.compile("^" + pattern.replace("(?P<", "(?P<") + "$")
        routes.append((regex, route))
    return routes


def woo_args_schema(route_path, method):
    """JSON schema of the documented arguments of ``method route_path`` (``/wc/v3/...``).

    Unknown arguments are allowed, as WordPress ignores them; None when the route is unknown.
    """
    for regex, route in _woo_routes():
        if regex.match(route_path):
            for endpoint in route["endpoints"]:
                if method in endpoint["methods"]:
                    props = {k: _wp_arg_schema(v) for k, v in endpoint["args"].items()}
                    required = [k for k, v in endpoint["args"].items() if v.get("required")]
                    return {"type": "object", "properties": props, "required": required}
    return None


# ---------------------------------------------------------------------- Amazon
def swagger_schema(relative, definition):
    """A JSON schema for one ``definitions`` entry of a Swagger 2.0 file."""
    doc = load_json(relative)
    return {"$ref": "#/definitions/%s" % definition, "definitions": doc["definitions"]}


def listings_feed_schema():
    return load_json("amazon-sp-api/listings-feed-schema-v2.json")


def validation_errors(instance, schema):
    """Messages of every jsonschema error (empty when valid)."""
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator = validator_cls(schema)
    return [
        "%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
        for e in validator.iter_errors(instance)
    ]
