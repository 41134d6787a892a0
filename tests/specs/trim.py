"""Rebuild ``tests/specs`` from the published API specifications.

Usage::

    .venv/bin/python tests/specs/trim.py SOURCE [--out DIR]

``SOURCE`` is a folder holding the published files in the layout of the api-specs collection
(``shopify-admin-graphql/``, ``woocommerce/``, ``amazon-sp-api/``, ``royal-mail-click-and-drop/``);
``DIR`` defaults to this folder. Each file keeps its published name and format, trimmed to the
operations and types the clients and emulators use, with the prose (descriptions, summaries,
examples) left out:

- Shopify: the introspection result keeps the root fields that the clients' documents (the
  ``Q_*``/``M_*`` constants of ``ecom_channels_core.shopify`` and ``ecom_accounting_core.shopify``)
  select, with all their arguments, and every type reachable from them: object and interface
  types with the fields the documents select, input objects and enums whole.
- Swagger files: the operations the emulators serve, with every definition, parameter and
  response they reach through ``$ref``.
- WooCommerce: the routes the emulator serves, with their arguments.

Run it again when a client starts using another field, type or operation; the tests validate
every document and every request against what is kept here.
"""

import argparse
import copy
import gzip
import importlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from tests.emulators.specs import load_simple_yaml  # noqa: E402

#: Keys that hold prose or examples only, never structure.
PROSE = {
    "description",
    "summary",
    "example",
    "examples",
    "externalDocs",
    "$comment",
    "x-example",
    "x-amzn-api-sandbox",
    "x-docgen-enum-table-extension",
}
#: Keys whose value maps names (of properties, definitions, routes...) to objects: their own
#: keys are names, which may well be ``description``.
NAME_MAPS = {
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "paths",
    "parameters",
    "responses",
    "headers",
    "securityDefinitions",
    "routes",
    "args",
}


def strip_prose(node, names=False):
    """A copy of ``node`` without the PROSE keys (names in NAME_MAPS are kept)."""
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: strip_prose(value, names=not names and key in NAME_MAPS)
        for key, value in node.items()
        if names or key not in PROSE
    }


def write_json(path, data, compress=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=None if compress else 1, ensure_ascii=False) + "\n"
    if compress:
        # mtime=0: the same input gives the same bytes
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        path.write_text(text, encoding="utf-8")
    print("%s: %d bytes" % (path.relative_to(path.parents[1]), path.stat().st_size))


def read_json(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


# ---------------------------------------------------------------------- Swagger 2.0
def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def trim_swagger(doc, operations, definitions=()):
    """Keep the paths' operations named in ``operations`` (operationId) and what they reach."""
    wanted = set(operations)
    paths = {}
    for path, item in doc["paths"].items():
        kept = {
            key: value
            for key, value in item.items()
            if not isinstance(value, dict) or value.get("operationId") in wanted
        }
        if any(isinstance(value, dict) for value in kept.values()):
            paths[path] = kept
    found = {
        op.get("operationId")
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict)
    }
    missing = wanted - found
    if missing:
        raise SystemExit("operations not in the spec: %s" % ", ".join(sorted(missing)))
    out = {key: value for key, value in doc.items() if key not in ("paths", "definitions")}
    for section in ("parameters", "responses"):
        out.pop(section, None)
    out["paths"] = paths
    sections = {"definitions": {}, "parameters": {}, "responses": {}}
    todo = list(_refs(paths)) + ["#/definitions/%s" % name for name in definitions]
    while todo:
        ref = todo.pop()
        match = re.fullmatch(r"#/(definitions|parameters|responses)/(.+)", ref)
        if not match:
            raise SystemExit("unsupported $ref %s" % ref)
        section, name = match.groups()
        if name in sections[section]:
            continue
        sections[section][name] = value = doc[section][name]
        todo.extend(_refs(value))
    for section, values in sections.items():
        if values:  # in the published order
            out[section] = {k: v for k, v in doc[section].items() if k in values}
    return strip_prose(out)


# ---------------------------------------------------------------------- YAML (block style)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][\w.-]*$")


def _yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)  # a YAML double-quoted scalar


def _yaml_lines(node, indent):
    pad = " " * indent
    if isinstance(node, dict):
        for key, value in node.items():
            name = key if _PLAIN_KEY.match(key) else "'%s'" % key.replace("'", "''")
            if isinstance(value, (dict, list)) and value:
                yield "%s%s:" % (pad, name)
                yield from _yaml_lines(value, indent + 2)
            else:
                yield "%s%s: %s" % (pad, name, _yaml_text(value))
    else:
        for item in node:
            if isinstance(item, (dict, list)) and item:
                inner = list(_yaml_lines(item, indent + 2))
                yield "%s- %s" % (pad, inner[0].lstrip())
                yield from inner[1:]
            else:
                yield "%s- %s" % (pad, _yaml_text(item))


def _yaml_text(value):
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return _yaml_scalar(value)


def dump_yaml(data):
    text = "\n".join(_yaml_lines(data, 0)) + "\n"
    if load_simple_yaml(text) != data:
        raise SystemExit("the YAML written does not read back the same")
    return text


# ---------------------------------------------------------------------- the APIs
AMAZON = {
    "listingsItems_2021-08-01.json": [
        "searchListingsItems",
        "getListingsItem",
        "putListingsItem",
        "patchListingsItem",
        "deleteListingsItem",
    ],
    "feeds_2021-06-30.json": ["createFeedDocument", "getFeedDocument", "createFeed", "getFeed"],
    "ordersV0.json": ["getOrders", "getOrder", "getOrderItems", "confirmShipment"],
    "financesV0.json": ["listFinancialEventGroups", "listFinancialEventsByGroupId"],
    "tokens_2021-03-01.json": ["createRestrictedDataToken"],
    "definitionsProductTypes_2020-09-01.json": ["getDefinitionsProductType"],
}
AMAZON_SCHEMAS = [
    "listings-feed-schema-v2.json",
    "listings-feed-processing-report-schema-v2.json",
]


def trim_amazon(source, out):
    for name, operations in AMAZON.items():
        doc = read_json(source / "amazon-sp-api" / name)
        write_json(out / "amazon-sp-api" / name, trim_swagger(doc, operations))
    for name in AMAZON_SCHEMAS:
        doc = read_json(source / "amazon-sp-api" / name)
        write_json(out / "amazon-sp-api" / name, strip_prose(doc))


CLICKANDDROP = "royal-mail-click-and-drop/click-and-drop-api-v1.yaml"
CLICKANDDROP_OPERATIONS = [
    "GetVersionAsync",
    "CreateOrdersAsync",
    "GetOrdersAsync",
    "GetSpecificOrdersAsync",
    "UpdateOrdersStatusAsync",
    "GetOrdersLabelAsync",
    "DeleteOrdersAsync",
]


def trim_clickanddrop(source, out):
    doc = load_simple_yaml((source / CLICKANDDROP).read_text(encoding="utf-8"))
    path = out / CLICKANDDROP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(trim_swagger(doc, CLICKANDDROP_OPERATIONS)), encoding="utf-8")
    print("%s: %d bytes" % (CLICKANDDROP, path.stat().st_size))


WOO = "woocommerce/wc-v3-route-index.extracted.json"
#: One path of each route the WooCommerce emulator serves.
WOO_PATHS = [
    "/wc/v3/products",
    "/wc/v3/products/batch",
    "/wc/v3/products/1",
    "/wc/v3/products/1/variations",
    "/wc/v3/products/1/variations/batch",
    "/wc/v3/products/1/variations/2",
    "/wc/v3/orders",
    "/wc/v3/orders/1",
    "/wc/v3/orders/1/notes",
]


def trim_woocommerce(source, out):
    doc = read_json(source / WOO)
    routes = {}
    for path in WOO_PATHS:
        # the first route matching, as the emulator's specs.woo_args_schema looks them up
        pattern = next(p for p in doc["routes"] if re.match("^%s$" % p, path))
        routes[pattern] = doc["routes"][pattern]
    kept = {p: r for p, r in doc["routes"].items() if p in routes}
    trimmed = {key: value for key, value in doc.items() if key != "_links"}
    trimmed["routes"] = kept
    write_json(out / WOO, strip_prose(trimmed))


# ---------------------------------------------------------------------- Shopify
SHOPIFY = "shopify-admin-graphql/admin_schema_2025-01.json.gz"
SHOPIFY_CLIENTS = [
    ("ecom_channels", "ecom_channels_core.shopify"),
    ("ecom_accounting", "ecom_accounting_core.shopify"),
]


def shopify_documents():
    """Every GraphQL document the clients send (their ``Q_*`` and ``M_*`` constants)."""
    documents = {}
    for addon, module_name in SHOPIFY_CLIENTS:
        sys.path.append(str(REPO / "addons" / addon))
        module = importlib.import_module(module_name)
        for name in sorted(dir(module)):
            value = getattr(module, name)
            if name.startswith(("Q_", "M_")) and isinstance(value, str):
                documents["%s.%s" % (module_name, name)] = value
    return documents


def _named(ref):
    while ref.get("ofType"):
        ref = ref["ofType"]
    return ref["name"]


def _used_in_documents(schema, documents):
    """(fields selected per type name, type names named by fragments and variables)."""
    from graphql import (  # noqa: PLC0415
        TypeInfo,
        TypeInfoVisitor,
        Visitor,
        get_named_type,
        parse,
        type_from_ast,
        validate,
        visit,
    )

    fields, types = {}, set()

    class Collect(Visitor):
        def __init__(self, info):
            super().__init__()
            self.info = info

        def enter_field(self, node, *_args):
            parent = self.info.get_parent_type()
            if parent is not None and not node.name.value.startswith("__"):
                fields.setdefault(parent.name, set()).add(node.name.value)

        def enter_inline_fragment(self, node, *_args):
            if node.type_condition:
                types.add(node.type_condition.name.value)

        def enter_fragment_definition(self, node, *_args):
            types.add(node.type_condition.name.value)

        def enter_variable_definition(self, node, *_args):
            types.add(get_named_type(type_from_ast(schema, node.type)).name)

    for name, document in documents.items():
        ast = parse(document)
        errors = validate(schema, ast)
        if errors:
            raise SystemExit("%s does not validate: %s" % (name, errors))
        info = TypeInfo(schema)
        visit(ast, TypeInfoVisitor(info, Collect(info)))
    return fields, types


def trim_shopify_schema(data, documents):
    """The introspection result ``data`` ({"data": {"__schema"}}) trimmed to ``documents``."""
    from graphql import build_client_schema  # noqa: PLC0415

    source = data["data"]["__schema"]
    by_name = {t["name"]: t for t in source["types"]}
    fields, keep = _used_in_documents(build_client_schema(data["data"]), documents)
    fields = {name: set(names) for name, names in fields.items()}
    roots = [source["queryType"]["name"], source["mutationType"]["name"]]
    keep |= set(fields) | set(roots) | {"String", "Boolean"}  # as introspection needs them
    for directive in source["directives"]:
        keep |= {_named(arg["type"]) for arg in directive["args"]}
    for name, kind in by_name.items():
        if name.startswith("__"):  # the introspection types, whole
            keep.add(name)
            fields[name] = {f["name"] for f in kind["fields"] or ()}
    changed = True
    while changed:
        before = (len(keep), sum(len(v) for v in fields.values()))
        for name in list(keep):
            kind = by_name[name]
            if kind["kind"] == "INPUT_OBJECT":
                keep |= {_named(f["type"]) for f in kind["inputFields"]}
            for field in kind.get("fields") or ():
                if field["name"] in fields.get(name, ()):
                    keep.add(_named(field["type"]))
                    keep |= {_named(arg["type"]) for arg in field["args"]}
            if kind["kind"] == "INTERFACE" and not fields.get(name):
                # selected through fragments only: keep its leaf fields (``id`` of Node)
                fields[name] = {
                    f["name"]
                    for f in kind["fields"]
                    if by_name[_named(f["type"])]["kind"] in ("SCALAR", "ENUM")
                }
            for interface in kind.get("interfaces") or ():
                if interface["name"] in keep:  # an implementation has the interface's fields
                    fields.setdefault(name, set()).update(fields.get(interface["name"], ()))
        changed = before != (len(keep), sum(len(v) for v in fields.values()))

    def ref_list(refs):
        return None if refs is None else [r for r in refs if r["name"] in keep]

    types = []
    for kind in source["types"]:
        name = kind["name"]
        if name not in keep:
            continue
        kept = dict(kind)
        if kind.get("fields") is not None:
            kept["fields"] = [f for f in kind["fields"] if f["name"] in fields.get(name, ())]
        kept["interfaces"] = ref_list(kind.get("interfaces"))
        kept["possibleTypes"] = ref_list(kind.get("possibleTypes"))
        types.append(kept)
    schema = {
        "queryType": source["queryType"],
        "mutationType": source["mutationType"],
        "subscriptionType": None,
        "types": types,
        "directives": source["directives"],
    }
    return {"data": {"__schema": _strip_graphql_prose(copy.deepcopy(schema))}}


def _strip_graphql_prose(node):
    """Drop ``description`` from the introspection objects (types, fields, args, values)."""
    if isinstance(node, dict):
        node.pop("description", None)
        for value in node.values():
            _strip_graphql_prose(value)
    elif isinstance(node, list):
        for item in node:
            _strip_graphql_prose(item)
    return node


def check_shopify_schema(data, documents):
    from graphql import (  # noqa: PLC0415
        assert_valid_schema,
        build_client_schema,
        parse,
        validate,
    )

    schema = build_client_schema(data["data"])
    assert_valid_schema(schema)
    for name, document in documents.items():
        errors = validate(schema, parse(document))
        if errors:
            raise SystemExit("%s does not validate on the trimmed schema: %s" % (name, errors))
    if not validate(schema, parse("query { shop { noSuchField } }")):
        raise SystemExit("the trimmed schema accepts a field that does not exist")
    return schema


def trim_shopify(source, out):
    documents = shopify_documents()
    trimmed = trim_shopify_schema(read_json(source / SHOPIFY), documents)
    schema = check_shopify_schema(trimmed, documents)
    write_json(out / SHOPIFY, trimmed, compress=True)
    print(
        "  %d documents, %d types kept"
        % (len(documents), len([t for t in schema.type_map if not t.startswith("__")]))
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("source", type=Path, help="folder of the published API specifications")
    parser.add_argument("--out", type=Path, default=HERE, help="default: %(default)s")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error("%s is not a folder" % args.source)
    trim_shopify(args.source, args.out)
    trim_woocommerce(args.source, args.out)
    trim_amazon(args.source, args.out)
    trim_clickanddrop(args.source, args.out)


if __name__ == "__main__":
    main()
