#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Validate vnoffload-trace's JSON lines against its JSON Schema.

usage: schema_check.py [--strict] [--expect TYPE[,TYPE...]] SCHEMA FILE...

Every non-empty line of each FILE ("-" for stdin) must be one JSON object
valid under SCHEMA (draft 2020-12, python3-jsonschema). --strict also fails
a member the schema does not describe: the schema lets lines grow (readers
ignore what they do not know), but our own output should be described in
full. --expect fails unless each TYPE ("error" for an error line) was seen.
Prints one line per problem (FILE:LINE: where: what) and a count per file;
exits 0 when all is well, 1 otherwise, 2 on a usage error.
"""
import argparse
import copy
import json
import sys

try:
    import jsonschema
except ImportError:
    print("schema_check: python3-jsonschema is not installed (make deps)", file=sys.stderr)
    sys.exit(77)


def closed(schema):
    """The schema with every described object closed to undescribed members.

    unevaluatedProperties sees what the object's own in-place subschemas
    ($ref, allOf, if/then) described, so it goes on each object schema that
    is not itself a part of an allOf (the whole is closed instead)."""
    s = copy.deepcopy(schema)
    parts = set()

    def walk(node, in_allof):
        if isinstance(node, list):
            for x in node:
                walk(x, False)
            return
        if not isinstance(node, dict):
            return
        if "allOf" in node:
            for x in node["allOf"]:
                if isinstance(x, dict) and "$ref" in x:
                    parts.add(x["$ref"])
        for k, v in node.items():
            if k == "allOf":
                for x in v:
                    walk(x, True)
            else:
                walk(v, False)

    walk(s, False)

    def close(node, in_allof, ref):
        if isinstance(node, list):
            for x in node:
                close(x, False, None)
            return
        if not isinstance(node, dict):
            return
        describes = "properties" in node or "allOf" in node
        # The dispatch on "type" (an allOf of if/then) is left open: each
        # line's own definition is closed.
        dispatch = any(isinstance(x, dict) and "if" in x for x in node.get("allOf", []))
        if (describes and not dispatch and not in_allof and ref not in parts
                and "additionalProperties" not in node):
            node["unevaluatedProperties"] = False
        for k, v in node.items():
            if k == "$defs":
                for name, d in v.items():
                    close(d, False, "#/$defs/" + name)
            elif k == "allOf":
                for x in v:
                    close(x, True, None)
            elif k == "if":
                continue  # a test, not a description: closing it would fail it
            else:
                close(v, False, None)

    close(s, False, None)
    return s


def main():
    ap = argparse.ArgumentParser(add_help=True)
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--expect", default="")
    ap.add_argument("schema")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    with open(a.schema, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    strict = jsonschema.Draft202012Validator(closed(schema)) if a.strict else None
    seen, bad = set(), 0
    for name in a.files:
        f = sys.stdin if name == "-" else open(name, encoding="utf-8", errors="strict")
        n = 0
        with f:
            for no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    print(f"{name}:{no}: not JSON: {e}")
                    bad += 1
                    continue
                kind = obj.get("type", "error" if "error" in obj else "?") if isinstance(obj, dict) else "?"
                seen.add(kind)
                errs = list(v.iter_errors(obj))
                if not errs and strict:
                    errs = list(strict.iter_errors(obj))
                for e in errs[:3]:
                    # The deepest cause says most: which member, which rule.
                    e = jsonschema.exceptions.best_match([e])
                    print(f"{name}:{no}: {kind} {e.json_path}: {e.message[:300]}")
                bad += bool(errs)
        print(f"{name}: {n} lines checked")
    for t in filter(None, a.expect.split(",")):
        if t not in seen:
            print(f"no {t} line seen (seen: {', '.join(sorted(seen))})")
            bad += 1
    print(f"schema_check: {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
