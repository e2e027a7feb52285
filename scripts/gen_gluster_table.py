"""Regenerate the verdict table of docs/models/gluster.md from runs of models/gluster_arbiter.py.

Run: .venv/bin/python scripts/gen_gluster_table.py [--check] [--traces]

Every row is one exhaustive explicit-state run of every safety property of the model at the
parameters shown; the table (states, verdict and shortest length per property) is written between
the marker comments ``<!-- gluster-verdicts:begin -->`` and ``<!-- gluster-verdicts:end -->``.
No timings: the table is deterministic, so tests/test_model_gluster.py compares it with fresh runs.
``--check`` writes nothing and exits 1 when the page differs; ``--traces`` prints the shortest trace
of every violated invariant (the findings on the page quote them).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.explicit.search import check  # noqa: E402
from hacheck.loader import build_model, load_spec  # noqa: E402

PAGE = ROOT / "docs" / "models" / "gluster.md"
BEGIN, END = "<!-- gluster-verdicts:begin -->", "<!-- gluster-verdicts:end -->"
R2 = {"replica": 2, "arbiter": False}
NO_WINDOW = {"eager_lock": False, "ping_stall": False}
# (row title, parameters); the defaults are upstream's: eager-lock on, post-op-delay-secs 1, stalls possible
CASES = [
    ("replica 2, quorum none", {**R2, "quorum_type": "none"}),
    ("replica 2, quorum auto", {**R2, "quorum_type": "auto"}),
    ("— no stall (ping_stall off)", {**R2, "quorum_type": "auto", "ping_stall": False}),
    ("replica 2, quorum fixed 1", {**R2, "quorum_type": "fixed", "quorum_count": 1}),
    ("r3 arbiter 1, auto, all rules (defaults)", {}),
    ("— eager_lock off", {"eager_lock": False}),
    ("— ping_stall off", {"ping_stall": False}),
    ("— eager_lock off, ping_stall off", NO_WINDOW),
    ("— heal_choice any", {"heal_choice": "any"}),
    # an ablation of rule (i): upstream locks the whole file on an arbiter volume whatever cluster.full-lock
    # says (afr_set_transaction_flock); the replica 3 row below is the setting that gives range locks
    ("— full_lock off (ablation: upstream locks the whole file with an arbiter)", {"full_lock": False}),
    ("— arbiter_veto off", {"arbiter_veto": False}),
    ("— write_subvol_check off", {"write_subvol_check": False}),
    ("— in_flight_check off", {"in_flight_check": False}),
    ("— heal_accused_quorum off", {"heal_accused_quorum": False}),
    ("— quorum_loss erofs", {"quorum_loss": "erofs"}),
    ("— server_quorum server (the virt group)", {"server_quorum": "server"}),
    ("— server_quorum server, ping_stall off", {"server_quorum": "server", "ping_stall": False}),
    ("— server_quorum server, post_op_delay 4 (above the 3 s reconnect)", {"server_quorum": "server", "post_op_delay": 4}),
    ("— server_quorum server, eager_lock off", {"server_quorum": "server", "eager_lock": False}),
    ("— server_quorum server, no window", {"server_quorum": "server", **NO_WINDOW}),
    ("arbiter, max_faults 3", {"max_faults": 3}),
    ("— no window", {"max_faults": 3, **NO_WINDOW}),
    ("arbiter, writes 3 (2 faults)", {"writes": 3}),
    ("— heal_choice any", {"writes": 3, "heal_choice": "any"}),
    ("— no window", {"writes": 3, **NO_WINDOW}),
    ("arbiter, 1 client, 3 writes (eager-lock handover)", {"clients": 1, "writes": 3}),
    ("— eager_lock off", {"clients": 1, "writes": 3, "eager_lock": False}),
    ("replica 3, auto, all rules", {"arbiter": False}),
    ("— range locks (full_lock off, eager_lock off)", {"arbiter": False, "full_lock": False, "eager_lock": False}),
    ("replica 3, max_faults 3", {"arbiter": False, "max_faults": 3}),
    ("— heal_choice any", {"arbiter": False, "max_faults": 3, "heal_choice": "any"}),
    ("— no window", {"arbiter": False, "max_faults": 3, **NO_WINDOW}),
]
COLUMNS = ["no_split_brain", "no_lost_ack_heal", "no_stale_read", "ack_one_down", "ack_two_down",
           "read_two_down", "ack_without_brick0"]

SPEC = load_spec(ROOT / "models" / "gluster_arbiter.py")


def run(params: dict):
    m = build_model(SPEC, params)
    return check(m)


def cell(p) -> str:
    if p.kind == "invariant":
        return "holds" if p.verdict == "holds" else f"**violated, {p.trace.length}**"
    return f"witness {p.trace.length}" if p.verdict == "holds" else "unreach."


def params_text(params: dict) -> str:
    return ", ".join(f"`{k}={str(v).lower() if isinstance(v, bool) else v}`" for k, v in params.items()) or "defaults"


def row(title: str, params: dict, result=None) -> str:
    r = result if result is not None else run(params)
    assert r.stats.complete, f"{title}: not exhaustive ({r.stats.stop_reason})"
    by = {p.name: p for p in r.properties}
    cells = [cell(by[c]) for c in COLUMNS]
    return f"| {title} | {params_text(params)} | {r.stats.states:,} | " + " | ".join(cells) + " |"


def table(rows: list[str]) -> str:
    head = "| case | parameters | states | " + " | ".join(f"`{c}`" for c in COLUMNS) + " |"
    sep = "|" + "---|" * (3 + len(COLUMNS))
    return "\n".join([head, sep, *rows])


def replace_between(text: str, body: str) -> str:
    a, b = text.index(BEGIN), text.index(END)
    return text[:a + len(BEGIN)] + "\n" + body + "\n" + text[b:]


def current_rows(text: str) -> list[str]:
    """The table rows on the page now (tests compare single rows with fresh runs)."""
    a, b = text.index(BEGIN), text.index(END)
    return [ln for ln in text[a + len(BEGIN):b].strip().splitlines()[2:]]


def traces() -> None:
    for title, params in CASES:
        r = run(params)
        for p in r.properties:
            if p.kind == "invariant" and p.verdict == "violated" and p.name != "no_stale_read":
                print(f"{title} {params} -- {p.name} ({p.trace.length} steps):")
                print("    " + "; ".join(s.label for s in p.trace.steps))


def main() -> int:
    if "--traces" in sys.argv:
        traces()
        return 0
    body = table([row(t, p) for t, p in CASES])
    text = PAGE.read_text()
    new = replace_between(text, body)
    if "--check" in sys.argv:
        if new != text:
            print(f"{PAGE.relative_to(ROOT)}: the verdict table differs from fresh runs; "
                  "run scripts/gen_gluster_table.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(new)
    print(f"wrote {len(CASES)} rows to {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
