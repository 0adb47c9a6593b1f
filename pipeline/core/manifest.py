"""MANIFEST: what a pack contains and what it was built from (hashes), as stable JSON."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pipeline.core.limits import MAX_JSON_BYTES

MANIFEST = "manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def read_manifest(pack: Path) -> dict | None:
    path = pack / MANIFEST
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def entries_by_path(manifest: dict | None) -> dict[str, dict]:
    """The output entries of a manifest keyed by their path (empty for no or an unreadable manifest).

    A tampered manifest must not make a build touch files outside its pack, nor crash it:
    entries whose path is not a pack path are dropped, and fields of the wrong type are
    left out (a file without a recorded sha256 counts as edited by hand, so it is kept).
    """
    if not manifest:
        return {}
    out = {}
    for d in manifest.get("deliverables") or []:
        if not isinstance(d, dict) or not is_pack_path(d.get("path")):
            continue
        entry = dict(d)
        if not isinstance(entry.get("sha256"), str):
            entry.pop("sha256", None)
        if not isinstance(entry.get("built_from"), dict):
            entry.pop("built_from", None)
        pending = entry.get("pending")
        if not (isinstance(pending, dict) and is_pack_path(pending.get("path"))
                and isinstance(pending.get("sha256"), (str, type(None)))):
            entry.pop("pending", None)
        out[d["path"]] = entry
    return out


# --- the pack is a boundary ----------------------------------------------------------
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_pack_path(value: object) -> bool:
    """A path a manifest or ledger may name: relative, '/'-separated, no '..', '.', empty part or drive."""
    if not isinstance(value, str) or not value or "\\" in value or "\x00" in value:
        return False
    if value.startswith("/") or _DRIVE.match(value):
        return False
    return not any(part in ("", ".", "..") for part in value.split("/"))


def inside(pack: Path, rel: object) -> Path | None:
    """pack/rel with every link followed, or None when rel is not a pack path or leads out of the pack."""
    if not is_pack_path(rel):
        return None
    root = Path(pack).resolve()
    path = (root / str(rel)).resolve()
    return path if root in path.parents else None


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX64.match(value))


class ShapeError(ValueError):
    """A manifest field of the wrong type or value: `field` names it, `str()` is the whole sentence."""

    def __init__(self, field: str, expected: str, got: object) -> None:
        shown = repr(got)
        super().__init__(f"'{field}' must be {expected} (got {shown[:60]}{'…' if len(shown) > 60 else ''})")
        self.field = field


def _need(ok: bool, field: str, expected: str, got: object) -> None:
    if not ok:
        raise ShapeError(field, expected, got)


def _int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _opt(d: dict, key: str, ok, field: str, expected: str) -> None:
    if key in d and d[key] is not None:
        _need(ok(d[key]), f"{field}.{key}", expected, d[key])


def _list_of(v: object, ok) -> bool:
    return isinstance(v, list) and all(ok(x) for x in v)


def _computed(c: object) -> bool:
    """One number the build computed from a register (`check` recomputes it): {section, expr, value, sources}."""
    return (isinstance(c, dict) and all(isinstance(c.get(k, ""), str) for k in ("section", "expr", "value"))
            and _list_of(c.get("sources", []), lambda x: isinstance(x, str)))


_STR = (lambda v: isinstance(v, str), "a string")
_PATH = (is_pack_path, "a relative path inside the pack ('folder/file.ext', no '..')")
_SHA = (is_sha256, "a SHA-256 (64 hex digits)")


def check_anchor_shape(data: Any, field: str = "signoff") -> None:
    """The pack's record of its sign-off ledger (pipeline/ledger/anchor.py).

    Raises:
        ShapeError: naming the first field of the wrong type.
    """
    _need(isinstance(data, dict), field, "a mapping", data)
    _need(_int(data.get("lines")) and data["lines"] >= 0, f"{field}.lines", "a count of lines", data.get("lines"))
    _need(is_sha256(data.get("head")), f"{field}.head", _SHA[1], data.get("head"))
    for key, shape in (("signed", {"path": _PATH, "sha256": _SHA, "service": (_int, "an integer"),
                                   "deliverable": _STR}),
                       ("waived", {"line": (lambda v: _int(v) and v >= 1, "a line number"), "sha256": _SHA,
                                   "prev": _SHA})):
        items = data.get(key, [])
        _need(isinstance(items, list), f"{field}.{key}", "a list", items)
        for i, item in enumerate(items):
            where = f"{field}.{key}[{i}]"
            _need(isinstance(item, dict), where, "a mapping", item)
            for k, (ok, expected) in shape.items():
                if k == "sha256" and key == "signed" and item.get(k) is None:
                    continue
                _need(ok(item.get(k)), f"{where}.{k}", expected, item.get(k))
            if key == "signed":
                _opt(item, "submission", _int, where, "an integer")


def check_shape(data: Any) -> None:
    """Every field of a manifest that `check`, `signoff` and `build` read, with the type they need.

    Raises:
        ShapeError: naming the first field of the wrong type.
    """
    from pipeline.core.formats import FORMATS

    _need(isinstance(data, dict), "(top)", "a mapping", data)
    for key in ("engagement", "customer", "customer_short", "project", "build_date", "tool_version"):
        if data.get(key) is not None:
            _need(isinstance(data[key], str), key, _STR[1], data[key])
    _need(isinstance(data.get("deliverables"), list), "deliverables", "a list", data.get("deliverables"))
    fmt_names = ", ".join(FORMATS)
    for i, d in enumerate(data["deliverables"]):
        f = f"deliverables[{i}]"
        _need(isinstance(d, dict), f, "a mapping", d)
        _need(_int(d.get("service")), f"{f}.service", "an integer", d.get("service"))
        _need(isinstance(d.get("deliverable"), str) and d["deliverable"] != "", f"{f}.deliverable", "a string",
              d.get("deliverable"))
        _need(isinstance(d.get("format"), str) and d["format"] in FORMATS, f"{f}.format", f"one of {fmt_names}",
              d.get("format"))
        _need(is_pack_path(d.get("path")), f"{f}.path", _PATH[1], d.get("path"))
        for key in ("seed_name", "kind"):
            _opt(d, key, _STR[0], f, _STR[1])
        _opt(d, "sha256", is_sha256, f, _SHA[1])
        _opt(d, "columns", lambda v: _list_of(v, lambda x: isinstance(x, str)), f, "a list of strings")
        _opt(d, "edited", lambda v: isinstance(v, bool), f, "true or false")
        _opt(d, "built_from", lambda v: isinstance(v, dict), f, "a mapping")
        for key in ("date", "review_of"):
            _opt(d, key, _STR[0], f, _STR[1])
        _opt(d, "reviews", lambda v: _list_of(v, lambda x: isinstance(x, str)), f, "a list of strings")
        sections = d.get("sections")
        if sections is not None:
            _need(isinstance(sections, list), f"{f}.sections", "a list", sections)
            for j, s in enumerate(sections):
                g = f"{f}.sections[{j}]"
                _need(isinstance(s, dict), g, "a mapping", s)
                _need(isinstance(s.get("title"), str), f"{g}.title", _STR[1], s.get("title"))
                _opt(s, "level", _int, g, "an integer")
                _opt(s, "leaf", lambda v: isinstance(v, bool), g, "true or false")
                _opt(s, "requires", lambda v: _list_of(v, lambda x: isinstance(x, str)), g, "a list of strings")
        _opt(d, "computed", lambda v: _list_of(v, _computed), f,
             "a list of {section, expr, value, sources} mappings (strings; sources a list of strings)")
        pending = d.get("pending")
        if pending is not None:
            _need(isinstance(pending, dict), f"{f}.pending", "a mapping", pending)
            _need(is_pack_path(pending.get("path")), f"{f}.pending.path", _PATH[1], pending.get("path"))
            _opt(pending, "sha256", is_sha256, f"{f}.pending", _SHA[1])
    services = data.get("services")
    if services is not None:
        _need(isinstance(services, list), "services", "a list", services)
        for i, s in enumerate(services):
            f = f"services[{i}]"
            _need(isinstance(s, dict), f, "a mapping", s)
            _need(_int(s.get("service")), f"{f}.service", "an integer", s.get("service"))
            for key in ("package", "title", "folder", "spec", "spec_sha256"):
                _opt(s, key, _STR[0], f, _STR[1])
            _opt(s, "select", lambda v: _list_of(v, lambda x: isinstance(x, str)), f, "a list of strings")
            for key in ("facts", "fact_locations"):
                _opt(s, key, lambda v: isinstance(v, dict), f, "a mapping")
            _opt(s, "rules", lambda v: _list_of(v, lambda x: isinstance(x, dict)), f, "a list of mappings")
            _opt(s, "includes", lambda v: _list_of(v, lambda x: isinstance(x, str)), f, "a list of strings")
            acc = s.get("acceptance")
            if acc is not None:
                _need(isinstance(acc, dict), f"{f}.acceptance", "a mapping", acc)
                _opt(acc, "review_days", _int, f"{f}.acceptance", "an integer")
                _opt(acc, "deemed_accepted", lambda v: isinstance(v, bool), f"{f}.acceptance", "true or false")
                for key in ("day_type", "rule", "document"):
                    _opt(acc, key, _STR[0], f"{f}.acceptance", _STR[1])
    if data.get("signoff") is not None:
        check_anchor_shape(data["signoff"])
