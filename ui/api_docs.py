"""``/docs``: the OpenAPI description of ``rag serve`` as one self-contained HTML page.

FastAPI's own ``/docs`` loads Swagger UI's scripts from a CDN: a browser opening it would fetch
code from the internet, which this product never makes anyone do, and the server's
Content-Security-Policy blocks it anyway. This page is rendered on the server from the same
schema (``/openapi.json``, also served) with no script at all.
"""

from __future__ import annotations

from html import escape

__all__ = ["docs_page"]

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#1b1b1b}
h2{margin-top:2em;font-size:1.1em} .op{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1em}
.m{font:bold 13px monospace;padding:2px 6px;border-radius:4px;color:#fff;background:#555;margin-right:.5em}
.get{background:#2a7}.post{background:#27c}.delete{background:#c33} code,pre{font-family:monospace;font-size:13px}
pre{background:#f6f6f6;padding:.6em;overflow:auto} table{border-collapse:collapse} td{padding:2px 10px 2px 0}
"""


def _type(schema: dict, components: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s, components) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list[{_type(schema.get('items', {}), components)}]"
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    return str(schema.get("type", "any"))


def _fields(schema: dict, components: dict) -> str:
    rows = []
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        note = escape(prop.get("description", ""))
        star = " (required)" if name in required else ""
        rows.append(f"<tr><td><code>{escape(name)}</code></td><td><code>{escape(_type(prop, components))}</code>"
                    f"{star}</td><td>{note}</td></tr>")
    return f"<table>{''.join(rows)}</table>" if rows else ""


def docs_page(schema: dict) -> str:
    """The HTML page for an OpenAPI ``schema`` (a dict as FastAPI's ``app.openapi()`` returns)."""
    components = schema.get("components", {}).get("schemas", {})
    info = schema.get("info", {})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(info.get('title', 'API'))} API</title>"
             f"<style>{_STYLE}</style></head><body><h1>{escape(info.get('title', 'API'))} HTTP API</h1>",
             f"<p>{escape(info.get('description', ''))}</p><p>The machine-readable schema: "
             "<a href='/openapi.json'><code>/openapi.json</code></a>. With an API key configured, every "
             "endpoint except <code>/v1/health</code> needs <code>Authorization: Bearer KEY</code>.</p>"]
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            parts.append(f"<div class='op'><span class='m {method}'>{method.upper()}</span><code>{escape(path)}</code>"
                         f"<p>{escape(op.get('summary', ''))}</p>")
            params = op.get("parameters", [])
            if params:
                rows = "".join(f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p.get('in', ''))}</td>"
                               f"<td><code>{escape(_type(p.get('schema', {}), components))}</code></td></tr>"
                               for p in params)
                parts.append(f"<p>Parameters:</p><table>{rows}</table>")
            body = op.get("requestBody", {}).get("content", {})
            for media, content in body.items():
                ref = _type(content.get("schema", {}), components)
                target = components.get(ref, content.get("schema", {}))
                parts.append(f"<p>Body (<code>{escape(media)}</code>): <code>{escape(ref)}</code></p>"
                             f"{_fields(target, components)}")
            parts.append("</div>")
    if components:
        parts.append("<h2>Schemas</h2>")
        for name, comp in components.items():
            parts.append(f"<div class='op'><b><code>{escape(name)}</code></b>{_fields(comp, components)}</div>")
    parts.append("</body></html>")
    return "".join(parts)
