"""Availability of a deployment file: the engine (hosted_engine or standalone_engine), each HA VM
(fencing for a self-hosted engine, standalone_engine otherwise) and each Gluster volume (per replica
set, and bounds for the whole volume: hacheck/avail/volume.py), with the model parameters the
deployment check uses (hacheck/deploy/mapping.py) and the rates the file gives.

Failure kinds in the chain: ``host-crash`` always, and every kind named in ``[failures.rates]``.
A host's ``mttf_hours``/``mttr_hours`` set the rate of its host-crash failures and of their repair;
``[failures.rates]`` the mean time to failure of a kind; everything else is the default of
hacheck/avail/defaults.py. At most ``concurrent`` failures are unrepaired at a time (the fault
budget as concurrent failures: max_faults; ``hacheck availability --concurrent``, default 2).
"""

from __future__ import annotations

from typing import Any

from ..deploy.mapping import FENCING_FAULTS, HE_FAULTS, plan
from ..deploy.parse import load
from ..deploy.run import load_model_spec
from ..lang.errors import BadInput
from ..loader import build_model
from .chain import ChainTooLarge, Rates
from .defaults import DEFAULTS

FAULTS_OF = {"hosted_engine": HE_FAULTS, "fencing": FENCING_FAULTS,
             "standalone_engine": {"host-crash": ["crash", "engine_node_crash"]}}


def _host_rates(d: Any) -> dict[str, tuple[float | None, float | None]]:
    out = {}
    for h in d.raw.get("hosts", []):
        mttf = h.get("mttf_hours") or None
        mttr = h.get("mttr_hours") or None
        out[h.get("name")] = (mttf, mttr)
    return out


def deployment_rows(path: str, cli_rates: Rates, max_states: int, measures: list[str],
                    concurrent: int = 1) -> tuple[list[Any], list[str]]:
    from .cli import chain_rows

    d = load(path)
    pl = plan(d)
    kind_mttf = {k: v for k, v in d.raw.get("failures", {}).get("rates", {}).items() if v}
    kinds = ["host-crash"] + [k for k in kind_mttf if k != "host-crash"]
    hosts = _host_rates(d)
    rows: list[Any] = []
    notes: list[str] = [f"failure kinds: {', '.join(kinds)}; at most {concurrent} unrepaired failure(s) at a time"]
    unknown: list[str] = []
    used: set[str] = set()
    for mp in pl.models:
        if mp.model == "gluster_arbiter" and not mp.limitation and mp.runs:
            r, n, u = _volume_rows(d, mp, kinds, kind_mttf, hosts, cli_rates, used, max_states, measures, concurrent)
            rows += r
            notes += n
            unknown += u
            continue
        if mp.model not in FAULTS_OF:
            notes.append(f"{mp.label}: not in the availability chain yet (no measure mapped)")
            continue
        if mp.model == "fencing" and d.engine["mode"] != "self-hosted":
            continue  # the standalone engine's model has the HA VMs
        if mp.limitation or not mp.runs:
            notes.append(f"{mp.label}: not computed ({mp.limitation or 'no run'})")
            continue
        run = mp.runs[0]
        if mp.timers == "scaled":
            notes.append(f"{mp.label}: timers scaled (hosted_engine.timers = \"scaled\"): its ticks are not the "
                         "upstream delays, so its figures are not in real time; set timers = \"upstream\"")
        params = dict(run.spec.params)
        params["max_faults"] = concurrent
        spec = load_model_spec(mp.model)
        if any(i.name == "availability" for i in spec.param_info()):
            params["availability"] = True
        model = build_model(spec, params)
        legend = dict(run.legend)
        actions = {a.name for a in model.actions}
        wanted = sorted({a for k in kinds for a in FAULTS_OF[mp.model].get(k, []) if a in actions})
        model.restrict_faults(wanted)
        rates = _rates_for(model, mp.model, kinds, kind_mttf, hosts, legend)
        labels = {i.label for i in model.instances}
        rates.by_action.update({k: v for k, v in cli_rates.by_action.items() if k in actions})
        rates.by_label.update({k: v for k, v in cli_rates.by_label.items() if k in labels})
        used.update(k for k in cli_rates.by_action if k in actions)
        used.update(k for k in cli_rates.by_label if k in labels)
        rename = {}
        for n in model.measures:
            new = n
            for elem, name in legend.items():
                new = new.replace(f"_{elem}_", f"_{name.split(' ')[0]}_")
            rename[n] = new
        want = [n for n in model.measures if not measures or rename[n] in measures or n in measures]
        if mp.model == "fencing":
            want = [n for n in want if n.startswith("vm_")]
        if not want:
            continue
        try:
            r, n = chain_rows(model, rates, max_states, want, mp.label, rename)
        except ChainTooLarge as e:
            unknown.append(f"{mp.label}: {e}")
            continue
        rows += r
        notes += n
    stray = [k for k in list(cli_rates.by_action) + list(cli_rates.by_label) if k not in used]
    if stray:
        raise BadInput(f"{cli_rates.where.get(stray[0], stray[0])}: no model of {path} has the action {stray[0]!r}")
    if unknown:
        raise PartlyComputed(rows, notes, unknown)
    if measures and not rows:
        raise BadInput(f"{path}: no availability measure named {', '.join(measures)}")
    return rows, notes


def volume_chains(d: Any, mp: Any, kinds: list[str], kind_mttf: dict[str, float],
                  hosts: dict[str, tuple[float | None, float | None]], concurrent: int) -> list[tuple[str, Any, Rates, list[str]]]:
    """Each replica set of a Gluster volume's plan as (label, model with the kinds' faults, rates, notes):
    the model parameters of the check's runs (hacheck/deploy/mapping.py), the failure kinds mapped as
    the check maps them (hacheck/avail/volume.py)."""
    from .volume import volume_actions, volume_rates

    vol = next(v for v in d.volumes if mp.label == f"gluster_arbiter[{v.name}]")
    spec = load_model_spec(mp.model)
    out = []
    for si, part in enumerate(dict.fromkeys(r.part for r in mp.runs)):
        run = next(r for r in mp.runs if r.part == part)
        model = build_model(spec, dict(run.spec.params, max_faults=concurrent, shd_links=False))
        actions = {a.name for a in model.actions}
        model.restrict_faults([a for a in volume_actions(kinds) if a in actions])
        rates, notes = volume_rates(model, [b.host for b in vol.sets[si]], kinds, kind_mttf, hosts)
        out.append((f"{mp.label} {part}" if part else mp.label, model, rates, notes))
    return out


def _volume_rows(d: Any, mp: Any, kinds: list[str], kind_mttf: dict[str, float],
                 hosts: dict[str, tuple[float | None, float | None]], cli_rates: Rates, used: set[str],
                 max_states: int, measures: list[str], concurrent: int) -> tuple[list[Any], list[str], list[str]]:
    """A Gluster volume: each replica set's chain, then bounds for the whole volume when it has several sets."""
    from .cli import Row, chain_rows
    from .volume import NOT_IN_CHAIN, volume_bounds

    rows: list[Any] = []
    notes = [f"{mp.label}: {k} not in the chain ({NOT_IN_CHAIN[k]})" for k in kinds if k in NOT_IN_CHAIN]
    unknown: list[str] = []
    sets = volume_chains(d, mp, kinds, kind_mttf, hosts, concurrent)
    set_rows: list[Any] = []
    set_notes: list[list[str]] = []
    for si, (label, model, rates, rnotes) in enumerate(sets):
        if si == 0:
            notes += [f"{mp.label}: {x}" for x in rnotes]
        actions = {a.name for a in model.actions}
        labels = {i.label for i in model.instances}
        for i in model.instances:  # --rate ACTION=... overrides the file's per-host rates of that action
            if i.action in cli_rates.by_action:
                rates.by_label.pop(i.label, None)
        rates.by_action.update({k: v for k, v in cli_rates.by_action.items() if k in actions})
        rates.by_label.update({k: v for k, v in cli_rates.by_label.items() if k in labels})
        used.update(k for k in cli_rates.by_action if k in actions)
        want = [n for n in model.measures if not measures or n in measures]
        if not want:
            return [], [], []
        try:
            r, n = chain_rows(model, rates, max_states, want, label, idle_note=True)
        except ChainTooLarge as e:
            unknown.append(f"{label}: {e}")
            continue
        rows += r
        set_notes.append([x.removeprefix(f"{label}: ") for x in n])
        set_rows += [x for x in r if x.measure == "volume_writable"]
    if len(sets) > 1 and set_notes and all(x == set_notes[0] for x in set_notes):  # say it once
        notes += [f"{mp.label} (every replica set): {x}" for x in set_notes[0]]
    else:
        notes += [f"{label}: {x}" for (label, *_), ns in zip(sets, set_notes) for x in ns]
    if len(sets) > 1 and len(set_rows) == len(sets):
        rows.append(volume_bounds(mp.label, set_rows, Row))
        vol = next(v for v in d.volumes if mp.label == f"gluster_arbiter[{v.name}]")
        hs = [{b.host for b in rs} for rs in vol.sets]
        shared = sorted(set.union(*[a & b for i, a in enumerate(hs) for b in hs[i + 1:]]))
        why = (f"the replica sets share hosts ({', '.join(shared)}), so they are not independent" if shared else
               "the replica sets are on disjoint hosts, but independence is not assumed")
        notes.append(f"{mp.label}: volume_writable of the whole volume (every replica set has quorum): bounds, not "
                     f"exact: {why}, and the model holds one set; min = 1 - the sum of the sets' unavailabilities "
                     "(union bound), max = the least available set's")
    return rows, notes, unknown


class PartlyComputed(ChainTooLarge):
    """Some parts of a deployment did not fit the bounds: the others' figures are still shown."""

    def __init__(self, rows: list[Any], notes: list[str], unknown: list[str]):
        super().__init__("; ".join(unknown))
        self.rows, self.notes, self.unknown = rows, notes, unknown


def _rates_for(model: Any, mname: str, kinds: list[str], kind_mttf: dict[str, float],
               hosts: dict[str, tuple[float | None, float | None]], legend: dict[str, str]) -> Rates:
    r = Rates()
    kinds_of: dict[str, list[str]] = {}  # every kind that hits an action: their rates add (independent causes)
    for k in kinds:
        for a in FAULTS_OF[mname].get(k, []):
            kinds_of.setdefault(a, []).append(k)
    for inst in model.instances:
        params = dict(inst.params)
        hname = legend.get(params.get("h", ""), None)
        if inst.action == "engine_node_crash" or inst.action == "engine_node_repair":
            hname = legend.get("engine", hname)
        mttf_h, mttr_h = hosts.get(hname, (None, None)) if hname else (None, None)
        if inst.kind == "fault" and inst.action in kinds_of:
            # a host crash and a power cycle are one fault action of the hosted-engine model: the host
            # goes down at the sum of the two rates, not at the rate of whichever kind came last
            rate = 0.0
            for k in kinds_of[inst.action]:
                mttf = (mttf_h if k == "host-crash" else None) or kind_mttf.get(k) or DEFAULTS.get(k, (None,))[0]
                if mttf:
                    rate += 1.0 / mttf
            if rate:
                r.by_label[inst.label] = rate
        elif inst.kind == "env" and inst.repairs:
            ks = [k for a in inst.repairs for k in kinds_of.get(a, [])]
            if "host-crash" in ks and mttr_h and inst.action in ("host_restart", "host_repair", "engine_node_repair"):
                r.by_label[inst.label] = 1.0 / mttr_h
    return r
