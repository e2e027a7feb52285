"""Read and validate a deployment file (TOML, standard library ``tomllib``).

Every problem is reported as ``FILE:LINE: KEY: message`` (all of them at once) and raised as
:class:`hacheck.lang.BadInput`, which the CLI turns into exit code 2.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import attrs

from ..lang.errors import BadInput
from .capacity import host_vm_mib, vm_required_mib
from .locate import Locator
from .schema import FAILURE_KINDS, GROUPS, REQUIRED, TABLES, Key, child_table

PRIORITIES = {"low": 1, "medium": 50, "high": 100}
GLUSTER_VERSION = re.compile(r"[0-9]+(\.[0-9]+){0,3}")  # 3.12, 3.12.15, 10, 10.4


def _bad_name(name: str) -> str | None:
    """Why a host name cannot be used, or None: bricks are written ``HOST:/PATH`` and ``--fail`` takes
    ``HOST:KIND,HOST``, so a name with ':' or ',' would be read as two things."""
    if not name.strip():
        return "is empty: give the host's name"
    if name != name.strip():
        return "starts or ends with a space"
    for ch, why in ((":", "bricks are written HOST:/PATH"), (",", "--fail takes a comma-separated list of hosts")):
        if ch in name:
            return f"contains {ch!r}, which cannot be in a host name ({why})"
    return None


@attrs.frozen
class Host:
    name: str
    cpus: int
    memory_gb: float
    hypervisor: bool
    hosted_engine: bool
    power_management: bool
    pm_agent: str
    pm_trusted: bool
    index: int


@attrs.frozen
class VM:
    name: str
    ha: bool
    cpus: int
    memory_gb: float
    lease: bool
    resume: str
    priority: int
    host: str
    storage: str
    index: int


@attrs.frozen
class Brick:
    host: str
    path: str
    index: int  # position in the volume's brick list

    @property
    def text(self) -> str:
        return f"{self.host}:{self.path}"


@attrs.frozen
class Volume:
    name: str
    replica: int
    arbiter: bool
    bricks: tuple[Brick, ...]
    options: dict[str, Any]
    index: int
    group: str = ""
    group_keys: tuple[str, ...] = ()  # options set by the group, not by [volumes.options] or the defaults

    @property
    def sets(self) -> list[tuple[Brick, ...]]:
        n = self.replica
        return [self.bricks[i:i + n] for i in range(0, len(self.bricks), n)]


class Deployment:
    """A validated deployment: typed hosts, VMs and volumes, every setting with its default filled
    in (``settings``), and the line of every key (``line(path)``)."""

    def __init__(self, path: Path, text: str, data: dict[str, Any], loc: Locator):
        self.path = path
        self.text = text
        self.raw = data
        self.loc = loc
        self.settings: dict[str, Any] = {}  # flat "table.key" (array elements by name) -> value
        self.hosts: list[Host] = []
        self.vms: list[VM] = []
        self.volumes: list[Volume] = []
        self.engine: dict[str, Any] = {}
        self.tables: dict[str, dict[str, Any]] = {}
        self.properties_from_cli = False  # check.properties came from --property

    @property
    def name(self) -> str:
        return self.tables[""]["name"] or self.path.stem

    def host(self, name: str) -> Host:
        return next(h for h in self.hosts if h.name == name)

    @property
    def hypervisors(self) -> list[Host]:
        return [h for h in self.hosts if h.hypervisor]

    @property
    def he_hosts(self) -> list[Host]:
        return [h for h in self.hosts if h.hosted_engine]

    def line(self, path: tuple[Any, ...]) -> int:
        return self.loc.line(path)

    def where(self, path: tuple[Any, ...]) -> str:
        return f"{self.path}:{self.line(path)}"


def key_text(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            part = f'"{p}"' if "." in p else p
            out += ("." if out else "") + part
    return out


class _Errors:
    def __init__(self, file: Path, loc: Locator):
        self.file = file
        self.loc = loc
        self.items: list[tuple[int, str]] = []

    def add(self, path: tuple[Any, ...], message: str, line: int | None = None) -> None:
        ln = line if line is not None else self.loc.line(path)
        self.items.append((ln, f"{self.file}:{ln}: {key_text(path)}: {message}"))

    def raise_if_any(self) -> None:
        if self.items:
            msgs = [m for _, m in sorted(self.items, key=lambda x: x[0])]
            seen: list[str] = []
            for m in msgs:
                if m not in seen:
                    seen.append(m)
            raise BadInput("\n".join(seen))


def load(path: str | Path) -> Deployment:
    p = Path(path)
    if not p.exists():
        raise BadInput(f"{p}: no such deployment file")
    if p.is_dir():
        raise BadInput(f"{p}: is a folder; give a deployment file such as examples/star.toml")
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{p}: cannot read: {getattr(e, 'strerror', None) or e}") from None
    return loads(text, p)


def loads(text: str, path: str | Path = "<deployment>") -> Deployment:
    p = Path(path)
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark (Windows editors write one): not TOML, ignored
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        if m:
            msg = msg[: m.start()].strip()
            raise BadInput(f"{p}:{m.group(1)}:{m.group(2)}: not valid TOML: {msg}") from None
        raise BadInput(f"{p}: not valid TOML: {msg}") from None
    loc = Locator(text)
    d = Deployment(p, text, data, loc)
    errs = _Errors(p, loc)
    _check_shape(data, "", (), errs, d)
    errs.raise_if_any()
    _build(d, errs)
    errs.raise_if_any()
    _check_meaning(d, errs)
    errs.raise_if_any()
    return d


# ---- shape: known keys, types, ranges -------------------------------------------------------------
def _type_ok(k: Key, v: Any) -> str | None:
    t = k.type
    if t == "str":
        return None if isinstance(v, str) else "a string"
    if t == "int":
        return None if isinstance(v, int) and not isinstance(v, bool) else "a whole number"
    if t == "number":
        return None if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else "a number"
    if t == "bool":
        if k.name == "cluster.full-lock" and isinstance(v, str) and v.lower() in ("yes", "no", "on", "off", "true", "false", "enable", "disable"):
            return None
        return None if isinstance(v, bool) else "true or false"
    if t == "list[str]":
        return None if isinstance(v, list) and all(isinstance(x, str) for x in v) else "a list of strings"
    if t == "int|str":
        return None if (isinstance(v, int) and not isinstance(v, bool)) or isinstance(v, str) else "a number or a name"
    return None


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:  # try without punctuation differences (quorum_type vs quorum-type)
        norm = {re.sub(r"[^a-z0-9]", "", k.lower()): k for k in known}
        close = difflib.get_close_matches(re.sub(r"[^a-z0-9]", "", name.lower()), list(norm), n=1, cutoff=0.6)
        close = [norm[c] for c in close]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_shape(data: dict[str, Any], table: str, path: tuple[Any, ...], errs: _Errors, d: Deployment) -> None:
    spec = TABLES[table]
    known = [k.name for k in spec.keys] + [s.rsplit(".", 1)[-1].rstrip("[]") for s in spec.subtables]
    for name, value in data.items():
        kp = path + (name,)
        sub = child_table(table, name)
        if sub is not None:
            sspec = TABLES[sub]
            if sspec.array:
                if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
                    errs.add(kp, f"must be an array of tables: write [[{key_text(kp)}]] sections")
                    continue
                for i, item in enumerate(value):
                    _check_shape(item, sub, kp + (i,), errs, d)
            else:
                if not isinstance(value, dict):
                    errs.add(kp, f"must be a table: write a [{key_text(kp)}] section")
                    continue
                _check_shape(value, sub, kp, errs, d)
            continue
        k = spec.key(name)
        if k is None:
            where = (f"[[{table[:-2]}]]" if table.endswith("[]") else f"[{table.replace('[]', '')}]") if path else "the top level"
            errs.add(kp, f"unknown key{_suggest(name, known)}; {where} takes: {', '.join(known)}")
            continue
        bad = _type_ok(k, value)
        if bad:
            errs.add(kp, f"must be {bad}, got {value!r}")
            continue
        if k.choices is not None and value not in k.choices:
            shown = "|".join(c for c in k.choices if c != "")
            errs.add(kp, f"{value!r} is not one of {shown}{_suggest(str(value), [c for c in k.choices if c])}")
        if k.low is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            if value < k.low or (k.high is not None and value > k.high):
                errs.add(kp, f"{value} is outside {k.low:g}..{k.high:g}")
    for k in spec.keys:
        if k.required and k.name not in data:
            errs.add(path, f"missing key '{k.name}' ({k.doc.split(';')[0]})")
    for sname in spec.subtables:
        sspec = TABLES[sname]
        short = sname.rsplit(".", 1)[-1].rstrip("[]")
        if sspec.required and short not in data:
            hint = f"[[{short}]]" if sspec.array else f"[{short}]"
            errs.add(path + (short,), f"missing: add {hint} ({sspec.doc})", line=1 if not path else None)


def _filled(data: dict[str, Any], table: str) -> dict[str, Any]:
    spec = TABLES[table]
    out = {}
    for k in spec.keys:
        v = data.get(k.name, k.default)
        if v is REQUIRED:
            v = None
        if k.type == "bool" and isinstance(v, str):
            v = v.lower() in ("yes", "on", "true", "enable")
        if k.type == "number" and isinstance(v, int):
            v = float(v)
        out[k.name] = list(v) if isinstance(v, list) else v
    return out


def _build(d: Deployment, errs: _Errors) -> None:
    raw = d.raw
    for name in TABLES:
        if "[]" in name:
            continue
        node: Any = raw
        for part in [x for x in name.split(".") if x] if name else []:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        d.tables[name] = _filled(node if isinstance(node, dict) else {}, name)
    for i, h in enumerate(raw.get("hosts", [])):
        f = _filled(h, "hosts[]")
        d.hosts.append(Host(f["name"], f["cpus"], f["memory_gb"], f["hypervisor"], f["hosted_engine"],
                            f["power_management"], f["pm_agent"], f["pm_trusted"], i))
        bad = _bad_name(f["name"]) if isinstance(f["name"], str) else None
        if bad:  # reported with the brick syntax errors a bad name causes
            errs.add(("hosts", i, "name"), f"host name {f['name']!r} {bad}")
    for i, v in enumerate(raw.get("vms", [])):
        f = _filled(v, "vms[]")
        prio = f["priority"]
        if isinstance(prio, str):
            if prio.lower() not in PRIORITIES:
                errs.add(("vms", i, "priority"), f"{prio!r} is not low, medium, high or a number 0..100"
                         f"{_suggest(prio.lower(), list(PRIORITIES))}")
                prio = 1
            else:
                prio = PRIORITIES[prio.lower()]
        elif not 0 <= prio <= 100:
            errs.add(("vms", i, "priority"), f"{prio} is outside 0..100")
        d.vms.append(VM(f["name"], f["ha"], f["cpus"], f["memory_gb"], f["lease"], f["storage_error_resume_behaviour"],
                        prio, f["host"], f["storage"], i))
    for i, v in enumerate(raw.get("volumes", [])):
        f = _filled(v, "volumes[]")
        raw_opts = v.get("options", {}) if isinstance(v.get("options", {}), dict) else {}
        from_group = {k: x for k, x in GROUPS.get(f["group"], {}).items() if k not in raw_opts}
        opts = _filled({**from_group, **raw_opts}, "volumes[].options")
        bricks = []
        for j, text in enumerate(f["bricks"] or []):
            host, sep, bpath = text.partition(":")
            if not sep or not host or not bpath.startswith("/"):
                errs.add(("volumes", i, "bricks", j), f"brick {text!r} is not HOST:/PATH")
            bricks.append(Brick(host, bpath, j))
        d.volumes.append(Volume(f["name"], f["replica"], bool(f["arbiter"]), tuple(bricks), opts, i, f["group"],
                                tuple(sorted(from_group))))
    d.engine = d.tables["engine"]
    d.settings = flatten_settings(d)


def flatten_settings(d: Deployment) -> dict[str, Any]:
    """Every setting, defaults included, keyed by a stable name (array elements by their name)."""
    out: dict[str, Any] = {}
    for tname, values in d.tables.items():
        for k, v in values.items():
            out[f"{tname}.{k}" if tname else k] = v
    for h in d.hosts:
        for k in attrs.fields(Host):
            if k.name not in ("name", "index"):
                out[f"hosts[{h.name}].{k.name}"] = getattr(h, k.name)
    for v in d.vms:
        for k in attrs.fields(VM):
            if k.name not in ("name", "index"):
                key = "storage_error_resume_behaviour" if k.name == "resume" else k.name
                out[f"vms[{v.name}].{key}"] = getattr(v, k.name)
    for vol in d.volumes:
        out[f"volumes[{vol.name}].replica"] = vol.replica
        out[f"volumes[{vol.name}].arbiter"] = int(vol.arbiter)
        out[f"volumes[{vol.name}].bricks"] = [b.text for b in vol.bricks]
        for k, v in vol.options.items():
            out[f"volumes[{vol.name}].options.{k}"] = v
    return out


def setting_default(name: str) -> Any:
    """The schema default of a flat setting name (REQUIRED when it has none)."""
    generic = re.sub(r"\[[^\]]*\]", "[]", name)
    for tname in sorted(TABLES, key=len, reverse=True):
        prefix = tname + "." if tname else ""
        if generic.startswith(prefix):
            k = TABLES[tname].key(generic[len(prefix):])
            if k is not None:
                return k.default
    return REQUIRED


def setting_path(d: Deployment, name: str) -> tuple[Any, ...]:
    """The key path (for line numbers) of a flat setting name from :func:`flatten_settings`."""
    m = re.match(r"(hosts|vms|volumes)\[([^\]]+)\]\.(.*)$", name)
    if m:
        coll, elem, rest = m.groups()
        items = {"hosts": d.hosts, "vms": d.vms, "volumes": d.volumes}[coll]
        idx = next((x.index for x in items if x.name == elem), 0)
        if rest.startswith("options."):
            return (coll, idx, "options", rest[len("options."):])
        return (coll, idx, rest)
    for tname in sorted(d.tables, key=len, reverse=True):
        if tname and name.startswith(tname + "."):
            return tuple(tname.split(".")) + (name[len(tname) + 1:],)
    return (name,)


# ---- meaning: cross references and physical sense ----------------------------------------------------
def _check_meaning(d: Deployment, errs: _Errors) -> None:
    names: dict[str, int] = {}
    for h in d.hosts:
        if h.name in names:
            first = d.line(("hosts", names[h.name], "name"))
            errs.add(("hosts", h.index, "name"), f"duplicated host name {h.name!r} (first defined at line {first})")
        else:
            names[h.name] = h.index
        if h.hosted_engine and not h.hypervisor:
            errs.add(("hosts", h.index, "hosted_engine"), f"host {h.name!r} runs the hosted-engine agent but is not "
                     "a hypervisor (set hypervisor = true)")
    known_hosts = list(names)

    def host_ref(path: tuple[Any, ...], name: str, what: str, hypervisor: bool | None = None) -> Host | None:
        if name not in names:
            errs.add(path, f"{what} {name!r} is not a host of this deployment{_suggest(name, known_hosts)}; hosts: "
                     f"{', '.join(known_hosts) or 'none'}")
            return None
        h = d.hosts[names[name]]
        if hypervisor is True and not h.hypervisor:
            errs.add(path, f"{what} {name!r} is not a hypervisor (hypervisor = false)")
        return h

    # engine
    e = d.engine
    if e["mode"] == "self-hosted":
        h = host_ref(("engine", "host"), e["host"], "engine host", hypervisor=True)
        if h is not None and not h.hosted_engine:
            errs.add(("engine", "host"), f"self-hosted engine on {h.name!r}, which does not run the hosted-engine "
                     "agent (set hosted_engine = true on that host)")
        for he in d.he_hosts:
            if he.memory_gb < e["memory_gb"] or he.cpus < e["cpus"]:
                errs.add(("hosts", he.index, "hosted_engine"), f"hosted-engine host {he.name!r} "
                         f"({he.cpus} cores, {he.memory_gb:g} GiB) is smaller than the engine VM "
                         f"({e['cpus']} vCPUs, {e['memory_gb']:g} GiB)")
        vol_names = [v.name for v in d.volumes]
        if e["storage"] and e["storage"] not in vol_names:
            errs.add(("engine", "storage"), f"engine storage {e['storage']!r} is not a [[volumes]] name"
                     f"{_suggest(e['storage'], vol_names)}; volumes: {', '.join(vol_names) or 'none'}")
    else:
        h = host_ref(("engine", "host"), e["host"], "engine node")
        if h is not None and h.hypervisor:
            errs.add(("engine", "host"), f"a standalone engine runs on a bare-metal node of its own; {h.name!r} is a "
                     "hypervisor (set hypervisor = false on it, or use mode = \"self-hosted\")")
        if e["storage"]:
            errs.add(("engine", "storage"), "a standalone engine has no engine storage volume (remove the key)")
    # VMs
    vm_names: dict[str, int] = {}
    hyper = d.hypervisors
    for v in d.vms:
        if not v.name.strip():
            errs.add(("vms", v.index, "name"), "an empty VM name: give the VM's name")
        if v.name in vm_names:
            errs.add(("vms", v.index, "name"), f"duplicated VM name {v.name!r} (first defined at line "
                     f"{d.line(('vms', vm_names[v.name], 'name'))})")
        vm_names.setdefault(v.name, v.index)
        host_ref(("vms", v.index, "host"), v.host, "VM host", hypervisor=True)
        if hyper and all(v.cpus > h.cpus or v.memory_gb > h.memory_gb for h in hyper):
            biggest = max(hyper, key=lambda h: (h.cpus, h.memory_gb))
            errs.add(("vms", v.index, "cpus" if all(v.cpus > h.cpus for h in hyper) else "memory_gb"),
                     f"VM {v.name!r} ({v.cpus} vCPUs, {v.memory_gb:g} GiB) is larger than every hypervisor "
                     f"(the largest, {biggest.name}, has {biggest.cpus} cores and {biggest.memory_gb:g} GiB)")
        if v.lease and v.resume != "kill":
            errs.add(("vms", v.index, "storage_error_resume_behaviour"), f"VM {v.name!r} has a lease: upstream forces "
                     f"the resume behaviour kill for an HA VM with a lease (VmHandler.autoSelectResumeBehavior); "
                     f"got {v.resume!r}")
    # initial placement passes upstream's scheduler filters (the engine VM counted on its host): memory
    # summed with each VM's overhead (MemoryPolicyUnit, hacheck/deploy/capacity.py), vCPUs per VM against
    # the host's cores, never summed (CPUPolicyUnit: shared vCPUs may overcommit the cores)
    overcommit = int(d.tables["cluster"]["memory_overcommit"])
    for h in hyper:
        placed = [(v.name, v.cpus, v.memory_gb) for v in d.vms if v.host == h.name]
        if e["mode"] == "self-hosted" and e["host"] == h.name:
            placed.append(("the engine VM", e["cpus"], e["memory_gb"]))
        need = sum(vm_required_mib(m, c) for _, c, m in placed)
        offers = host_vm_mib(h.memory_gb, overcommit)
        first = next((v for v in d.vms if v.host == h.name), None)
        path = ("vms", first.index, "host") if first else ("hosts", h.index, "name")
        if need > offers:
            errs.add(path, f"the VMs placed on {h.name!r} need {need} MiB with upstream's per-VM overhead "
                     f"(VmOverheadCalculatorImpl); it offers {max(0, offers)} MiB ({h.memory_gb:g} GiB x "
                     f"cluster.memory_overcommit {overcommit} % - 386 MiB vdsm reserve): the engine would not run them")
        wide = [(n, c) for n, c, _ in placed if c > h.cpus]
        if wide:
            errs.add(path, f"{wide[0][0]} placed on {h.name!r} has {wide[0][1]} vCPUs, more than its {h.cpus} "
                     "cores (CPUPolicyUnit): the engine would not run it")
    # volumes
    vnames: dict[str, int] = {}
    for vol in d.volumes:
        vp = ("volumes", vol.index)
        if vol.name in vnames:
            errs.add(vp + ("name",), f"duplicated volume name {vol.name!r}")
        vnames.setdefault(vol.name, vol.index)
        if vol.arbiter and vol.replica != 3:
            errs.add(vp + ("arbiter",), f"an arbiter needs replica 3 (replica 3 arbiter 1); volume {vol.name!r} "
                     f"has replica {vol.replica}")
        if vol.replica not in (2, 3):
            errs.add(vp + ("replica",), f"replica {vol.replica}: hacheck models replica 2 and replica 3 "
                     "(with or without an arbiter)")
        if not vol.bricks:
            errs.add(vp + ("bricks",), "no bricks")
        elif len(vol.bricks) % vol.replica:
            errs.add(vp + ("bricks",), f"{len(vol.bricks)} bricks is not a multiple of replica {vol.replica}")
        for b in vol.bricks:
            if b.host and b.path.startswith("/"):
                host_ref(vp + ("bricks", b.index), b.host, f"brick {b.text!r}: host")
        seen_paths: dict[str, int] = {}
        for b in vol.bricks:
            if b.text in seen_paths:
                errs.add(vp + ("bricks", b.index), f"brick {b.text!r} is listed twice")
            seen_paths.setdefault(b.text, b.index)
        if len(vol.bricks) % vol.replica == 0:
            for si, rs in enumerate(vol.sets):
                hosts = [b.host for b in rs]
                dup = sorted({x for x in hosts if hosts.count(x) > 1})
                if dup:
                    b = next(b for b in rs if b.host == dup[0])
                    errs.add(vp + ("bricks", b.index), f"replica set {si + 1} of volume {vol.name!r} has "
                             f"{hosts.count(dup[0])} bricks on host {dup[0]!r}: one failure of that host takes them "
                             "down together (gluster refuses this without 'force'); put each brick of a set on its "
                             "own host")
        qt = vol.options["cluster.quorum-type"]
        qc = vol.options["cluster.quorum-count"]
        if qc > vol.replica:
            errs.add(vp + ("options", "cluster.quorum-count"), f"quorum count {qc} is above the replica count "
                     f"{vol.replica} of volume {vol.name!r}: no write could ever reach quorum")
        if qt == "fixed" and qc < 1:
            errs.add(vp + ("options", "cluster.quorum-type"), "cluster.quorum-type = fixed needs "
                     "cluster.quorum-count between 1 and the replica count")
    version = d.tables["gluster"]["version"]
    if not GLUSTER_VERSION.fullmatch(version):
        errs.add(("gluster", "version"), f"{version!r} is not a GlusterFS version (such as \"3.12\", \"10.4\" or "
                 "\"11\"): it decides what a replica set without quorum does (EROFS before 3.13, ENOTCONN after)")
    # failures, check
    f = d.tables["failures"]
    for i, k in enumerate(f["kinds"]):
        if k not in FAILURE_KINDS:
            errs.add(("failures", "kinds", i), f"unknown failure kind {k!r}{_suggest(k, list(FAILURE_KINDS))}; "
                     f"kinds: {', '.join(FAILURE_KINDS)}")
    for i, hn in enumerate(f["hosts"]):
        host_ref(("failures", "hosts", i), hn, "failing host")
