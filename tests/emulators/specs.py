"""Load the published API specifications the emulators check traffic against.

The files live in ``tests/specs``: the parts of the published specifications that the clients
and emulators use (see its README.md; ``tests/specs/trim.py`` rebuilds them from the published
files). The environment variable ``ECOM_API_SPECS`` points elsewhere when set, for example at a
folder of the complete published files in the same layout.
"""

import functools
import gzip
import json
import os
import re
from pathlib import Path

import jsonschema
from graphql import GraphQLError, build_client_schema, parse, validate

SPECS = Path(__file__).resolve().parents[1] / "specs"


def specs_dir():
    env = os.environ.get("ECOM_API_SPECS")
    path = Path(env) if env else SPECS
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


# ---------------------------------------------------------------------- Royal Mail Click & Drop
CLICKANDDROP_SPEC = "royal-mail-click-and-drop/click-and-drop-api-v1.yaml"


def _yaml_scalar(text):
    """A YAML plain or quoted scalar of the Swagger file (the subset it uses)."""
    text = text.strip()
    if text in ("[]", "{}"):
        return [] if text == "[]" else {}
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        body = text[1:-1]
        if text[0] == "'":
            return body.replace("''", "'")
        return json.loads('"%s"' % body.replace('"', '\\"').replace('\\\\"', '\\"'))
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d*", text):
        return float(text)
    return text


_KEY = re.compile(r"^(?P<key>'[^']*'|\"[^\"]*\"|[^\s#'\"][^:#]*?)\s*:(?:\s+(?P<value>.*))?$")


def _strip_comment(line):
    if line.lstrip().startswith("#"):
        return ""
    quote = None
    for i, char in enumerate(line):
        if char in "'\"" and (quote is None or quote == char):
            quote = None if quote else char
        elif char == "#" and quote is None and i and line[i - 1] == " ":
            return line[:i].rstrip()
    return line.rstrip()


def _is_node_start(content):
    return bool(_KEY.match(content)) or content.startswith("- ") or content == "-"


class _SimpleYaml:
    """Block-style YAML subset of a Swagger file: mappings, sequences, plain and quoted
    scalars, ``|`` blocks and folded plain continuations."""

    def __init__(self, text):
        self.raw = text.splitlines()
        self.lines = []  # (indent, content, raw line number)
        i = 0
        while i < len(self.raw):
            stripped = _strip_comment(self.raw[i])
            if stripped.strip():
                # a double-quoted scalar spanning lines is joined (folded with spaces)
                while stripped.count('"') % 2 and i + 1 < len(self.raw):
                    i += 1
                    stripped += " " + self.raw[i].strip()
                self.lines.append((len(stripped) - len(stripped.lstrip()), stripped.strip(), i))
            i += 1
        self.pos = 0

    def block_text(self, indent_min, literal):
        """The raw lines after the current key deeper than ``indent_min``, as one string."""
        start = self.lines[self.pos - 1][2] + 1
        end = start
        while end < len(self.raw):
            raw = self.raw[end]
            if raw.strip() and len(raw) - len(raw.lstrip()) <= indent_min:
                break
            end += 1
        while self.pos < len(self.lines) and self.lines[self.pos][2] < end:
            self.pos += 1
        body = self.raw[start:end]
        while body and not body[-1].strip():
            body.pop()
        if not body:
            return ""
        if not literal:
            return " ".join(r.strip() for r in body if r.strip())
        cut = min(len(r) - len(r.lstrip()) for r in body if r.strip())
        return "\n".join(r[cut:] for r in body) + "\n"

    def value(self, indent):
        if self.pos >= len(self.lines) or self.lines[self.pos][0] < indent:
            return None
        level, content, _idx = self.lines[self.pos]
        if content.startswith("- ") or content == "-":
            return self.sequence(level)
        return self.mapping(level)

    def after_key(self, level, value):
        if value in ("|", "|-", ">", ">-"):
            return self.block_text(level, literal=value.startswith("|"))
        if value not in (None, ""):
            return _yaml_scalar(value)
        nxt = self.lines[self.pos] if self.pos < len(self.lines) else None
        if nxt and nxt[0] > level and not _is_node_start(nxt[1]):
            return self.block_text(level, literal=False)
        if nxt and (nxt[0] > level or (nxt[0] == level and nxt[1].startswith("- "))):
            return self.value(nxt[0])
        return None

    def mapping(self, level):
        result = {}
        while self.pos < len(self.lines):
            lvl, content, _idx = self.lines[self.pos]
            if lvl != level or content.startswith("- "):
                break
            match = _KEY.match(content)
            if not match:
                raise ValueError("unsupported YAML line: %r" % content)
            self.pos += 1
            key = str(_yaml_scalar(match.group("key")))
            result[key] = self.after_key(level, match.group("value"))
        return result

    def sequence(self, level):
        result = []
        while self.pos < len(self.lines):
            lvl, content, idx = self.lines[self.pos]
            if lvl != level or not (content.startswith("- ") or content == "-"):
                break
            item = content[1:].strip()
            if not item:
                self.pos += 1
                result.append(self.value(level + 1))
            elif _KEY.match(item):
                # a mapping starting on the dash line: read it as if it were indented
                inner = level + 1 + len(content[1:]) - len(content[1:].lstrip())
                self.lines[self.pos] = (inner, item, idx)
                result.append(self.mapping(inner))
            else:
                self.pos += 1
                result.append(_yaml_scalar(item))
        return result


def load_simple_yaml(text):
    """Parse a Swagger YAML file: PyYAML when installed, else the subset parser above."""
    try:
        import yaml  # noqa: PLC0415
    except ImportError:
        return _SimpleYaml(text).value(0)
    return yaml.safe_load(text)


@functools.cache
def clickanddrop_spec():
    """The Click & Drop Swagger 2.0 document as a dict."""
    return load_simple_yaml((specs_dir() / CLICKANDDROP_SPEC).read_text(encoding="utf-8"))


def _tolerant_multiple_of(validator, multiple, instance, schema):
    """``multipleOf`` for money: 12.35 is a multiple of 0.01 despite binary floats."""
    if not validator.is_type(instance, "number"):
        return
    quotient = instance / multiple
    if abs(quotient - round(quotient)) > 1e-6:
        yield jsonschema.ValidationError("%r is not a multiple of %r" % (instance, multiple))


def clickanddrop_errors(instance, definition):
    """Messages of every error of ``instance`` against a ``definitions`` entry of the spec."""
    schema = {"$ref": "#/definitions/%s" % definition, **clickanddrop_spec()}
    validator_cls = jsonschema.validators.extend(
        jsonschema.Draft4Validator, {"multipleOf": _tolerant_multiple_of}
    )
    return [
        "%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
        for e in validator_cls(schema).iter_errors(instance)
    ]
