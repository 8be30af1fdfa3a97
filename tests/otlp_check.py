#!/usr/bin/env python3
"""Checks OTLP/JSON trace files against the official protobuf schema.

Usage: otlp_check.py FILE...

First, what protobuf's JSON parser would let pass but OTLP/JSON forbids: snake_case field
names, enums by name. Then each file is parsed into opentelemetry.proto.trace.v1.TracesData
with that parser, unknown fields an error, and every span is checked: a 16-byte trace id,
an 8-byte span id, an empty or 8-byte parent span id naming a span of the same trace in
the files given, and start <= end. Exits 1 naming each problem, 0 when all pass.

Needs `pip install opentelemetry-proto==1.45.2` (it brings protobuf).
"""

import base64
import json
import sys

from google.protobuf.json_format import Parse, ParseError
from opentelemetry.proto.trace.v1.trace_pb2 import TracesData

# OTLP/JSON is protobuf's JSON mapping with three differences (OTLP spec, "JSON Protobuf
# Encoding"): field names lowerCamelCase only, enums as integers only, and trace/span ids
# as hex strings, where protobuf's mapping reads every `bytes` field as base64. The parser
# accepts the first two as they are; hex ids it would misread (16 hex digits decode as 12
# bytes of base64) or reject, so they are turned into base64 before parsing.
SPAN_IDS = ("traceId", "spanId", "parentSpanId")


def hex_to_base64(value, where):
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: not hex: {value!r}") from err
    return base64.b64encode(raw).decode("ascii")


def rewrite_ids(doc, name):
    """Every span's and span link's hex ids, as base64, in place."""
    for r, resource in enumerate(doc.get("resourceSpans", [])):
        for s, scope in enumerate(resource.get("scopeSpans", [])):
            for n, span in enumerate(scope.get("spans", [])):
                where = f"{name}: resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                holders = [span] + list(span.get("links", []))
                for holder in holders:
                    for key in SPAN_IDS:
                        if key in holder:
                            holder[key] = hex_to_base64(holder[key], f"{where}.{key}")


def otlp_only(doc, name):
    """What protobuf's parser would let pass but OTLP/JSON forbids: snake_case field
    names and enums by name."""
    problems = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if "_" in key:
                    problems.append(f"{name}: {path}.{key}: field names are lowerCamelCase")
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{path}[{n}]")

    walk(doc, "")
    for resource in doc.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                enums = [span.get("kind", 0), span.get("status", {}).get("code", 0)]
                if not all(isinstance(e, int) for e in enums):
                    problems.append(f"{name}: span {span.get('spanId')}: enums are integers")
    return problems


def spans_of(data):
    for resource in data.resource_spans:
        for scope in resource.scope_spans:
            yield from scope.spans


def check(paths):
    problems = []
    spans = []
    for name in paths:
        try:
            with open(name, encoding="utf-8") as f:
                doc = json.load(f)
            problems.extend(otlp_only(doc, name))
            rewrite_ids(doc, name)
            data = Parse(json.dumps(doc), TracesData(), ignore_unknown_fields=False)
        except (OSError, ValueError, ParseError) as err:
            problems.append(f"{name}: {err}")
            continue
        spans.extend((name, span) for span in spans_of(data))
    known = {(s.trace_id, s.span_id) for _, s in spans}
    for name, span in spans:
        where = f"{name}: span {span.span_id.hex()} ({span.name!r})"
        if len(span.trace_id) != 16:
            problems.append(f"{where}: trace_id is {len(span.trace_id)} bytes, not 16")
        if len(span.span_id) != 8:
            problems.append(f"{where}: span_id is {len(span.span_id)} bytes, not 8")
        if span.parent_span_id and len(span.parent_span_id) != 8:
            problems.append(f"{where}: parent_span_id is {len(span.parent_span_id)} bytes, not 8")
        elif span.parent_span_id and (span.trace_id, span.parent_span_id) not in known:
            problems.append(f"{where}: parent {span.parent_span_id.hex()} is not in the files")
        if span.start_time_unix_nano > span.end_time_unix_nano:
            problems.append(f"{where}: starts after it ends")
    return problems, len(spans)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    problems, count = check(argv[1:])
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"otlp_check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"otlp_check: {len(argv) - 1} files, {count} spans: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
