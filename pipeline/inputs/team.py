"""Who works on which service: people's `services`, each service's managers, signatories, author and reviewer.

engagement.yaml names the people once; each person lists the services they work on
(`services: [1, 9]`, or `services: {9: 健康检查架构师}` for a role that differs per
service). Each bought service then names its two project managers, and may name its
signatories, author and reviewer (defaults: the managers, and document_control's
author and reviewer). Every name must be a person working on that service, on the
right side: located errors otherwise.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from typing import Any

from pipeline.core.validate import Collector, iso_date, keyname
from pipeline.inputs.model import Member, Purchase

#: The keys a service entry may carry about its team and plan.
SERVICE_KEYS = ("managers", "signatories", "author", "reviewer", "dates")
SIDES = ("vendor", "customer")
_SIDE_NAMES = {"vendor": "服务方", "customer": "客户"}


def person_services(c: Collector, value: Any, kp: tuple) -> dict[int, tuple[str | None, tuple]]:
    """A person's `services`: a list of service numbers, or a mapping service -> role in it.

    Returns service -> (role in it or None, key path of the entry).
    """
    if value is None:
        return {}
    out: dict[int, tuple[str | None, tuple]] = {}
    if isinstance(value, list):
        for i, n in enumerate(value):
            if c.typed(n, kp + (i,), int, what="a service number"):
                out[n] = (None, kp + (i,))
    elif isinstance(value, dict):
        for n, role in value.items():
            if c.typed(n, kp + (n,), int, what="a service number") and c.typed(role, kp + (n,), str, what="the role"):
                out[n] = (role.strip(), kp + (n,))
    else:
        c.typed(value, kp, list, what="a list of service numbers or a mapping service -> role")
    return out


def build_teams(c: Collector, people: list, vendor: str, bought: list[int]) -> dict[int, tuple[Member, ...]]:
    """service -> its members (vendor's people first), checking every service number a person names."""
    teams: dict[int, list[Member]] = {n: [] for n in bought}
    for i, p in enumerate(people):
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            continue
        kp = ("people", i, "services")
        if "services" not in p:
            c.add("missing-key", f"person '{p['name']}' does not say which services they work on; add "
                  f"'services: [{', '.join(map(str, bought))}]' (the ones they work on)", ("people", i))
            continue
        for n, (role, where) in person_services(c, p.get("services"), kp).items():
            if n not in teams:
                # A warning: a service dropped from the engagement should not force editing everyone who
                # worked on it; a typo still surfaces when the service it meant has nobody on one side.
                c.add("service-not-bought", f"person '{p['name']}' works on service {n}, which this engagement does "
                      f"not buy (it buys {', '.join(map(str, bought))}); ignored", where)
                continue
            teams[n].append(Member(p["name"].strip(), str(p.get("org") or ""), role or str(p.get("role") or ""),
                                   str(p.get("org") or "") == vendor, str(p.get("phone") or ""),
                                   str(p.get("email") or ""), str(p.get("dept") or "")))
    return {n: tuple(sorted(ms, key=lambda m: not m.vendor)) for n, ms in teams.items()}


def raw_service_keys(c: Collector, m: dict, kp: tuple) -> dict:
    """The team and plan keys of one service entry, shape-checked (names are checked in check_service)."""
    out: dict[str, Any] = {}
    for key in ("managers", "signatories"):
        if key in m:
            sides = c.mapping(m[key], kp + (key,), [], SIDES)
            if sides is not None:
                out[key] = {s: v.strip() for s, v in sides.items()
                            if s in SIDES and c.typed(v, kp + (key, s), str, what="a person's name")}
    for key in ("author", "reviewer"):
        if key in m and c.typed(m[key], kp + (key,), str, what="a person's name"):
            out[key] = m[key].strip()
    if "dates" in m:
        dates: dict[str, dt.date] = {}
        if c.typed(m["dates"], kp + ("dates",), dict, what="a mapping deliverable id -> date"):
            for did, value in m["dates"].items():
                day = iso_date(value)
                if day is None:
                    c.add("bad-type", f"'{keyname(kp + ('dates', did))}' must be a date written YYYY-MM-DD "
                                      f"(got {value!r:.40})", kp + ("dates", did))
                else:
                    dates[str(did)] = day
        out["dates"] = dates
    return out


def check_service(c: Collector, p: Purchase, kp: tuple, raw: dict, team: tuple[Member, ...], dc: dict) -> Purchase:
    """Check a service's managers, signatories, author and reviewer against its team; fill the defaults."""
    names = [m.name for m in team]
    side_of = {m.name: m.side for m in team}
    for side in SIDES:
        if not any(m.side == side for m in team):
            c.add("no-team", f"nobody from {_SIDE_NAMES[side]} works on service {p.service}; add {p.service} to the "
                  "'services' of the people who do", kp)
    def person(name: str, key: tuple, side: str | None, what: str) -> bool:
        if name not in side_of:
            close = difflib.get_close_matches(name, names, n=1)
            hint = (f"; did you mean '{close[0]}'?" if close
                    else f"; the team of service {p.service} is {'、'.join(names) or 'empty'}")
            c.add("not-on-team", f"{what} '{name}' does not work on service {p.service} (add {p.service} to their "
                  f"'services' in people){hint}", key)
            return False
        if side is not None and side_of[name] != side:
            c.add("bad-value", f"{what} '{name}' must be from {_SIDE_NAMES[side]}", key)
            return False
        return True

    managers = dict(raw.get("managers") or {})
    if "managers" not in raw:
        c.add("missing-key", f"service {p.service} needs 'managers: {{vendor: <name>, customer: <name>}}' (the two "
              "project managers, from its team)", kp)
    for side in SIDES:
        if "managers" in raw and side not in managers:
            c.add("missing-key", f"'{keyname(kp + ('managers', side))}' is required", kp + ("managers",))
        elif side in managers:
            person(managers[side], kp + ("managers", side), side, f"the {side} manager")
    signatories = dict(raw.get("signatories") or {})
    for side in SIDES:
        if side in signatories:
            person(signatories[side], kp + ("signatories", side), side, f"the {side} signatory")
        elif side in managers:
            signatories[side] = managers[side]
    roles = {}
    for key in ("author", "reviewer"):
        name = raw.get(key) or str(dc.get(key) or "")
        where = kp + (key,) if key in raw else ("document_control", key)
        if not name:
            c.add("missing-key", f"service {p.service} needs a document {key}: write '{key}: <name>' in its entry "
                  "or in document_control", kp)
        elif name in side_of or key in raw:
            if person(name, where, "vendor" if key == "author" else None, f"the {key}"):
                roles[key] = name
        else:
            c.add("not-on-team", f"document_control's {key} '{name}' does not work on service {p.service}; name the "
                  f"service's own {key} in its entry ('{key}: <name>') or add {p.service} to their 'services'", kp)
    key_locations = {}
    for key in SERVICE_KEYS:
        if key in raw:
            key_locations[key] = _loc(c, kp + (key,))
    for did in (raw.get("dates") or {}):
        key_locations[f"dates.{did}"] = _loc(c, kp + ("dates", did))
    return dataclasses.replace(p, managers=managers, signatories=signatories, author=roles.get("author", ""),
                               reviewer=roles.get("reviewer", ""), dates=dict(raw.get("dates") or {}),
                               key_locations=key_locations)


def _loc(c: Collector, kp: tuple):
    from pipeline.core.yamlio import loc
    return loc(c.path, c.positions, kp)
