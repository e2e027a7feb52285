"""One self-contained HTML report: the verdict table, each trace as a space-time diagram, why it fails.

No network access and no CDN: the CSS and the script are inline, the traces are embedded as JSON.
The diagram has one lane per component (``Trace.lanes``, from the model's ``lane`` declarations),
one row per step; an action is drawn in the lanes it touches, faults in red, operator and
environment steps marked, a lasso's loop bracketed, waiting stretches of ``tick`` steps folded
with their duration. Clicking a step shows the whole state and what changed.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Iterable

from .. import __version__
from ..lang.errors import BadInput, HacheckError
from ..render.fold import folds
from ..render.lanes import SHARED, lane_of_key, lanes_of_step
from ..trace import Trace, flatten, fmt_value, read_itf



_fmt = fmt_value


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _seconds(ticks: int, tick_seconds: float | None) -> str:
    if not tick_seconds:
        return ""
    s = ticks * tick_seconds
    return f"{s:g} s" if s < 600 else f"{s:g} s ({s / 60:.1f} min)"


# ---------------------------------------------------------------------------------------------
# one trace


def _rows(trace: Trace) -> list[tuple[str, int, int]]:
    """Rows of the diagram: ("init", 0, 0), ("step", i, i) or ("wait", first, last) for folded waits."""
    rows: list[tuple[str, int, int]] = [("init", 0, 0)]
    by_first = {f.first: f for f in folds(trace)}
    n = len(trace.states) - 1
    i = 0
    while i < n:
        if i in by_first:
            f = by_first[i]
            rows.append(("wait", f.first, f.last))
            i = f.last + 1
        else:
            rows.append(("step", i, i))
            i += 1
    return rows


def trace_section(trace: Trace, tid: str, title: str, legend: dict[str, str] | None = None) -> str:
    lanes = trace.lanes or {}
    order = list(lanes.get("order") or [])
    flat = [flatten(s) for s in trace.states]
    if not order:
        order = [SHARED]
    col = {lane: k + 2 for k, lane in enumerate(order)}  # grid column; 1 is the time axis
    ticks = trace.ticks()
    groups = lanes.get("groups") or {}
    legend = legend or {}

    def lane_title(lane: str) -> str:
        shown = legend.get(lane, lane)
        g = groups.get(lane)
        return f'<div class="sort">{_esc(g)}</div>{_esc(shown)}' if g else _esc(shown)

    out = [f'<section class="trace" id="{_esc(tid)}" data-trace="{_esc(tid)}">',
           f"<h2>{_esc(title)}</h2>"]
    kind = {"counterexample": "Counterexample", "witness": "Witness", "worst-case": "Worst-case recovery"}.get(trace.kind, "Trace")
    shape = f"{trace.length} steps" + (f", loop back to state {trace.loop}" if trace.loop is not None else "")
    total = ticks[-1]
    time_txt = f"; {total} ticks = {_seconds(total, trace.tick_seconds)}" if trace.tick_seconds and total else ""
    if trace.scaled_ticks:  # scaled timers: ticks only, never seconds
        time_txt = f"; {total} scaled ticks (not seconds)"
    out.append(f'<p class="meta">{kind}: {_esc(shape)}{_esc(time_txt)}</p>')
    if trace.why:
        out.append('<div class="why"><h3>Why it fails</h3><pre>' + _esc("\n".join(trace.why)) + "</pre></div>")
    if trace.fairness:
        out.append('<div class="fair"><b>The loop repeats forever, and it is fair:</b><ul>'
                   + "".join(f"<li>{_esc(f)}</li>" for f in trace.fairness) + "</ul></div>")
    n_cols = len(order) + 1
    out.append(f'<div class="diagram" style="grid-template-columns: 9em repeat({len(order)}, minmax(7em, 1fr));">')
    out.append('<div class="hdr time">step / time</div>')
    for lane in order:
        out.append(f'<div class="hdr lane" data-lane="{_esc(lane)}">{lane_title(lane)}</div>')
    grid_row = 2
    for kind_, a, b in _rows(trace):
        if kind_ == "init":
            label_time = "0" + (" &middot; 0 s" if trace.tick_seconds else "")
            out.append(f'<div class="time step-cell" data-step="0" style="grid-row:{grid_row}">state 0<br>'
                       f'<span class="t">{label_time}</span></div>')
            out.append(f'<div class="init step-cell" data-step="0" style="grid-row:{grid_row}; grid-column: 2 / {n_cols + 1}">'
                       "initial state (click a step to see its state)</div>")
            grid_row += 1
            continue
        if kind_ == "wait":
            dt = ticks[b + 1] - ticks[a]
            out.append(f'<div class="time step-cell" data-step="{b + 1}" style="grid-row:{grid_row}">{a + 1}&ndash;{b + 1}'
                       f'<br><span class="t">{_esc(_time(ticks[b + 1], trace))}</span></div>')
            out.append(f'<div class="wait step-cell" data-step="{b + 1}" data-first="{a + 1}" style="grid-row:{grid_row}; '
                       f'grid-column: 2 / {n_cols + 1}">&#8987; waiting {dt} {"scaled " if trace.scaled_ticks else ""}ticks'
                       f'{(" = " + _esc(_seconds(dt, trace.tick_seconds))) if trace.tick_seconds else ""} '
                       f'(steps {a + 1}&ndash;{b + 1} folded, repeated {_esc(_wait_summary(trace, a, b))})</div>')
            grid_row += 1
            continue
        i = a
        step = trace.steps[i]
        changed = [k for k, v in flat[i + 1].items() if flat[i].get(k) != v]
        touched = [lane for lane in lanes_of_step(step.params, changed, lanes) if lane in col] or [order[-1]]
        actor = next((lanes.get("elements", {}).get(v) for _k, v in step.params
                      if lanes.get("elements", {}).get(v) in touched), touched[0])
        cls = {"fault": "fault", "env": "env", "stutter": "stutter"}.get(step.kind, "tick" if step.tick else "proto")
        prefix = {"fault": "FAULT ", "env": "ENV "}.get(step.kind, "")
        in_loop = trace.loop is not None and i >= trace.loop
        out.append(f'<div class="time step-cell{" inloop" if in_loop else ""}" data-step="{i + 1}" style="grid-row:{grid_row}">'
                   f'{i + 1}<br><span class="t">{_esc(_time(ticks[i + 1], trace))}</span></div>')
        lo, hi = min(col[x] for x in touched), max(col[x] for x in touched)
        if hi > lo:
            out.append(f'<div class="span {cls}" style="grid-row:{grid_row}; grid-column: {lo} / {hi + 1}"></div>')
        for k, lane in enumerate(touched):
            mine = [c for c in changed if (lane_of_key(c, lanes) if lanes else SHARED) == lane]
            body = "".join(f'<div class="chg">{_esc(c)} = {_esc(_fmt(flat[i + 1][c]))}</div>' for c in mine[:3])
            if len(mine) > 3:
                body += f'<div class="chg">... {len(mine) - 3} more</div>'
            head = f'<div class="act">{_esc(prefix + step.label)}</div>' if lane == actor else ""
            out.append(f'<div class="box {cls} step-cell" data-step="{i + 1}" data-lane="{_esc(lane)}" '
                       f'style="grid-row:{grid_row}; grid-column:{col[lane]}">{head}{body}</div>')
        grid_row += 1
    if trace.loop is not None:
        last = trace.steps[-1]
        out.append(f'<div class="time loopback" style="grid-row:{grid_row}">&#8634;</div>')
        out.append(f'<div class="loopnote" style="grid-row:{grid_row}; grid-column: 2 / {n_cols + 1}">'
                   f'{_esc(last.label)} returns to state {trace.loop}: steps {trace.loop + 1}&ndash;{trace.length} '
                   "(marked) repeat forever</div>")
    out.append("</div>")
    out.append('<div class="panel" hidden><h3 class="panel-title"></h3><table class="state"></table></div>')
    out.append("</section>")
    return "\n".join(out)


def _time(ticks: int, trace: Trace) -> str:
    if trace.scaled_ticks:
        return f"{ticks} scaled ticks" if ticks else ""
    tick_seconds = trace.tick_seconds
    if not tick_seconds:
        return ""
    return f"{ticks} ticks = {ticks * tick_seconds:g} s" if ticks else "0 s"


def _wait_summary(trace: Trace, a: int, b: int) -> str:
    f = next((f for f in folds(trace) if f.first == a), None)
    if f is None:
        return ""
    return f"{f.repeats} times: " + ", ".join(f.block)


def trace_data(trace: Trace) -> dict[str, Any]:
    """What the step-through script needs: every state flattened, and each step's label."""
    states = [{k: _fmt(v) for k, v in flatten(s).items()} for s in trace.states]
    steps = [("FAULT " if s.kind == "fault" else "ENV " if s.kind == "env" else "") + s.label for s in trace.steps]
    return {"states": states, "steps": steps, "loop": trace.loop}


# ---------------------------------------------------------------------------------------------
# the whole report


def _verdict_cell(verdict: str, text: str, href: str | None) -> str:
    cls = {"holds": "ok", "violated": "bad", "unknown": "unk"}.get(verdict, "na")
    inner = _esc(text)
    if href:
        inner = f'<a href="#{_esc(href)}">{inner}</a>'
    return f'<td class="v {cls}">{inner}</td>'


def _model_table(doc: dict[str, Any], links: dict[str, str]) -> str:
    rows = []
    for p in doc.get("properties", []):
        itf = (p.get("trace_files") or {}).get("itf")
        text = f"{p['verdict']} ({p.get('explanation', '')})"
        extra = (p.get("extra") or {}).get("recovery")
        rows.append(f"<tr><th>{_esc(p['name'])}</th><td>{_esc(p['kind'])}</td>"
                    + _verdict_cell(p["verdict"], text, links.get(itf or "") if itf else None)
                    + f"<td>{_esc(extra or '')}</td></tr>")
    return ('<table class="verdicts"><tr><th>property</th><th>kind</th><th>verdict</th><th>recovery</th></tr>'
            + "".join(rows) + "</table>")


def _deployment_table(doc: dict[str, Any], links: dict[str, str]) -> str:
    scenarios = list((doc.get("failures") or {}).get("scenarios") or [])
    head = "".join(f'<th class="scen">{_esc(s)}</th>' for s in scenarios)
    rows = []
    for r in doc.get("rows", []):
        itf = (r.get("trace_files") or {}).get("itf")
        href = links.get(itf or "") if itf else None
        per: dict[str, list[str]] = {}
        for run in r.get("runs") or []:
            per.setdefault(run.get("scenario") or "", []).append(run.get("verdict", ""))
        cells = []
        for s in scenarios:
            vs = per.get(s, [])
            v = "violated" if "violated" in vs else "unknown" if "unknown" in vs else "holds" if vs else "n/a"
            mark = {"holds": "&#10003;", "violated": "&#10007;", "unknown": "?"}.get(v, "&ndash;")
            link = href if (v == "violated" or (r.get("trace_kind") == "worst-case")) and r.get("scenario") == s else None
            cls = {"holds": "ok", "violated": "bad", "unknown": "unk"}.get(v, "na")
            cells.append(f'<td class="v {cls}" title="{_esc(s)}: {_esc(v)}">'
                         + (f'<a href="#{_esc(link)}">{mark}</a>' if link else mark) + "</td>")
        summary = f"{r['verdict']} ({r.get('explanation', '')})"
        rows.append(f"<tr><th>{_esc(r['property'])}<div class='sub'>{_esc(r['model'])}</div></th>"
                    + _verdict_cell(r["verdict"], summary, href) + f"<td>{_esc(r.get('recovery') or '')}</td>" + "".join(cells) + "</tr>")
    return ('<div class="scroll"><table class="verdicts matrix"><tr><th>property</th><th>verdict</th><th>recovery</th>'
            + head + "</tr>" + "".join(rows) + "</table></div>")


def build_html(doc: dict[str, Any], traces: dict[str, Trace], title: str | None = None) -> str:
    """``doc`` is a JSON report (model run, deployment, or several runs); ``traces`` maps each ITF
    path the report names to its trace."""
    runs = doc.get("runs") if isinstance(doc.get("runs"), list) else [doc]
    links: dict[str, str] = {}
    for k, key in enumerate(traces):
        links[key] = f"trace-{k}"
    parts: list[str] = []
    for run in runs:
        if run.get("kind") == "deployment":
            parts.append(f"<h1>Deployment {_esc(run.get('name', ''))}</h1>")
            parts.append(f'<p class="meta">{_esc(run.get("deployment", ""))}: {run.get("model_checks", 0)} model checks, '
                         f'{len((run.get("failures") or {}).get("scenarios") or [])} failure scenarios, '
                         f'exit code {run.get("exit_code")}</p>')
            parts.append(_deployment_table(run, links))
        elif run.get("kind") == "trace":
            parts.append(f"<h1>Trace {_esc(run.get('source', ''))}</h1>")
        else:
            parts.append(f"<h1>Model {_esc(run.get('model', ''))}</h1>")
            params = run.get("params") or {}
            if params:
                parts.append('<details class="params"><summary>parameters</summary><p>'
                             + ", ".join(f"<code>{_esc(k)}={_esc(_fmt(v))}</code>" for k, v in params.items())
                             + "</p></details>")
            stats = run.get("stats") or {}
            if stats:
                parts.append(f'<p class="meta">{stats.get("states", 0):,} states, depth {stats.get("depth", 0)}, '
                             f'{stats.get("seconds", 0)} s; exit code {run.get("exit_code")}</p>')
            parts.append(_model_table(run, links))
    data = {}
    for key, trace in traces.items():
        tid = links[key]
        title_t = (trace.property_name or trace.kind) + f" in {trace.model}"
        legend = _legend_for(doc, key)
        parts.append(trace_section(trace, tid, title_t, legend))
        data[tid] = trace_data(trace)
    payload = json.dumps(data).replace("</", "<\\/")
    heading = title or "hacheck report"
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_esc(heading)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts)
            + f'\n<footer>hacheck {_esc(__version__)}</footer>\n<script type="application/json" id="trace-data">{payload}</script>'
            + f"<script>{JS}</script></body></html>\n")


def _legend_for(doc: dict[str, Any], key: str) -> dict[str, str]:
    runs = doc.get("runs") if isinstance(doc.get("runs"), list) else [doc]
    for run in runs:
        for r in run.get("rows") or []:
            if (r.get("trace_files") or {}).get("itf") == key and r.get("legend"):
                return {str(a): f"{a} = {b}" for a, b in r["legend"].items()}
    return {}


def traces_of_report(doc: dict[str, Any], base: Path) -> dict[str, Trace]:
    """Read every ITF trace a JSON report names (paths as written, or relative to the report)."""
    runs = doc.get("runs") if isinstance(doc.get("runs"), list) else [doc]
    out: dict[str, Trace] = {}
    for run in runs:
        for item in list(run.get("properties") or []) + list(run.get("rows") or []):
            itf = (item.get("trace_files") or {}).get("itf") if isinstance(item, dict) else None
            if not itf or itf in out:
                continue
            p = Path(itf)
            if not p.exists() and (base / p).exists():
                p = base / p
            if not p.exists() and (base / p.name).exists():
                p = base / p.name
            if not p.exists():
                raise BadInput(f"{base}: the report names the trace {itf}, which does not exist (run the check again)")
            out[itf] = read_itf(p)
    return out


def load_report(path: Path) -> tuple[dict[str, Any], dict[str, Trace]]:
    """A JSON report or one ITF trace, read for ``hacheck report``."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror}") from None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not a text file (expected a JSON report or an .itf.json trace)") from None
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(doc, dict):
        raise BadInput(f"{path}: expected a JSON object (a hacheck report or an ITF trace)")
    if "states" in doc and "vars" in doc:
        trace = read_itf(path)
        key = str(path)
        return {"kind": "trace", "source": str(path)}, {key: trace}
    if not any(k in doc for k in ("properties", "rows", "runs")):
        raise BadInput(f"{path}: not a hacheck JSON report (no 'properties', 'rows' or 'runs') nor an ITF trace")
    return doc, traces_of_report(doc, path.parent)


def write_html(path: Path | str, doc: dict[str, Any], traces: dict[str, Trace], title: str | None = None) -> Path:
    p = Path(path)
    text = build_html(doc, traces, title)
    try:
        p.write_text(text, encoding="utf-8")
    except OSError as e:
        raise HacheckError(f"--html {p}: cannot write the report: {e.strerror}") from None
    return p


def write_index(folder: Path) -> Path:
    """``DIR/index.html``: a link per HTML report in DIR, with the exit code of its JSON twin."""
    if not folder.is_dir():
        raise BadInput(f"--index {folder}: not a folder")
    entries = []
    for page in sorted(folder.glob("*.html")):
        if page.name == "index.html":
            continue
        code: int | None = None
        twin = page.with_suffix(".json")
        try:
            code = json.loads(twin.read_text()).get("exit_code") if twin.exists() else None
        except (OSError, ValueError, AttributeError):
            code = None
        entries.append((page.stem, page.name, code))
    target = folder / "index.html"
    try:
        target.write_text(index_html(entries), encoding="utf-8")
    except OSError as e:
        raise HacheckError(f"{target}: cannot write: {e.strerror}") from None
    return target


def index_html(entries: Iterable[tuple[str, str, int | None]]) -> str:
    """A link per report with its exit code (0 holds, 1 violated, 3 inconclusive)."""
    def cell(code: int | None) -> str:
        if code is None:
            return '<td class="v na">-</td>'
        cls = "ok" if code == 0 else "bad" if code == 1 else "unk"
        what = {0: "all hold", 1: "violated", 3: "inconclusive"}.get(code, "error")
        return f'<td class="v {cls}">exit {code}: {what}</td>'

    rows = "".join(f'<tr><td><a href="{_esc(href)}">{_esc(name)}</a></td>{cell(code)}</tr>' for name, href, code in entries)
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hacheck reports</title>"
            f"<style>{CSS}</style></head><body><h1>hacheck reports</h1><table class=\"verdicts\">"
            f"<tr><th>report</th><th>result</th></tr>{rows}</table><footer>hacheck {_esc(__version__)}</footer></body></html>\n")


CSS = """
body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:1.5em 2em;color:#1d2125;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .3em;border-top:1px solid #ccd;padding-top:.8em}
h3{font-size:1em;margin:.3em 0}.meta{color:#555;margin:.2em 0 .6em}code{font-size:.92em}
table.verdicts{border-collapse:collapse;margin:.6em 0}table.verdicts th,table.verdicts td{border:1px solid #d0d4da;padding:3px 8px;text-align:left;vertical-align:top}
table.verdicts th{background:#f3f5f7}.v.ok{background:#e3f4e3}.v.bad{background:#fbe0e0;font-weight:600}.v.unk{background:#fff4cc}.v.na{color:#999}
.matrix td.v{text-align:center}.verdicts td.v{min-width:16em}.matrix td.v{min-width:0}.matrix tr > td:nth-child(2){min-width:16em}.matrix th.scen{font-size:.75em;font-weight:normal;max-width:7em}.sub{font-size:.8em;color:#666;font-weight:normal}
.scroll{overflow-x:auto}a{color:#0b57d0}
.why{background:#fff5f5;border-left:4px solid #d33;padding:.3em .8em;margin:.6em 0}.why pre{margin:.2em 0;white-space:pre-wrap;font-size:.9em}
.fair{background:#f5f5ff;border-left:4px solid #66c;padding:.3em .8em;margin:.6em 0}.fair ul{margin:.2em 0}
.diagram{display:grid;gap:3px 6px;align-items:stretch;margin:.6em 0;position:relative;max-width:100%;overflow-x:auto}
.hdr{position:sticky;top:0;background:#eef1f5;font-weight:600;padding:4px 6px;border-bottom:2px solid #99a;z-index:2;text-align:center}
.hdr{overflow-wrap:anywhere}.hdr .sort{font-size:.72em;font-weight:normal;color:#667}.time{font-size:.8em;color:#444;padding:3px 4px;border-right:2px solid #99a;cursor:pointer}
.time .t{color:#888}.time.inloop{border-right:4px solid #66c;background:#f3f3ff}
.box{border:1px solid #7a8ca3;border-radius:4px;padding:2px 5px;background:#eef4fb;font-size:.82em;cursor:pointer;z-index:1;overflow-wrap:anywhere}
.box .act{font-weight:600}.box .chg{color:#333;font-family:ui-monospace,monospace;font-size:.92em}
.box.fault{background:#fde4e4;border-color:#c22}.box.fault .act{color:#b00}.box.env{background:#fff1db;border-color:#c80}
.box.tick{background:#f4f4f4;border-color:#bbb;color:#555}.box.stutter{background:#fafafa;border-style:dashed}
.span{align-self:center;height:3px;background:#7a8ca3;margin:0 1.5em}.span.fault{background:#c22}.span.env{background:#c80}
.init,.wait{font-size:.85em;color:#555;padding:3px 6px;background:#fafafa;border:1px dashed #bbb;border-radius:4px;cursor:pointer}
.loopnote{font-size:.85em;color:#44a;padding:3px 6px;border:1px solid #66c;border-radius:4px;background:#f3f3ff}.loopback{color:#44a;font-size:1.2em;text-align:center}
.selected{outline:3px solid #f0a000}.panel{border:1px solid #ccd;padding:.5em .8em;background:#fcfcfd;margin:.5em 0 1em}
table.state{border-collapse:collapse;font-family:ui-monospace,monospace;font-size:.85em}table.state td{padding:1px 8px;border-bottom:1px solid #eee}
table.state tr.changed td{background:#fff2cc;font-weight:600}table.state td.old{color:#999;text-decoration:line-through;font-weight:normal}
details.params p{max-width:70em}footer{margin-top:3em;color:#999;font-size:.8em}
"""

JS = r"""
(function(){
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  function show(sec, i){
    var d = data[sec.dataset.trace]; if(!d) return;
    i = Math.max(0, Math.min(i, d.states.length - 1));
    sec.dataset.current = i;
    sec.querySelectorAll('.selected').forEach(function(e){e.classList.remove('selected');});
    sec.querySelectorAll('.step-cell[data-step="'+i+'"]').forEach(function(e){e.classList.add('selected');});
    var panel = sec.querySelector('.panel'); panel.hidden = false;
    var title = i === 0 ? 'state 0 (initial)' : 'state ' + i + ' after ' + d.steps[i-1];
    panel.querySelector('.panel-title').textContent = title;
    var now = d.states[i], before = i > 0 ? d.states[i-1] : null, t = panel.querySelector('table.state');
    t.textContent = '';
    Object.keys(now).forEach(function(k){
      var tr = document.createElement('tr'), changed = before && before[k] !== now[k];
      if(changed) tr.className = 'changed';
      [k, now[k]].forEach(function(x){var td = document.createElement('td'); td.textContent = x; tr.appendChild(td);});
      var old = document.createElement('td'); old.className = 'old'; old.textContent = changed ? before[k] : ''; tr.appendChild(old);
      t.appendChild(tr);
    });
  }
  document.querySelectorAll('section.trace').forEach(function(sec){
    sec.addEventListener('click', function(ev){
      var cell = ev.target.closest('.step-cell'); if(!cell) return;
      show(sec, parseInt(cell.dataset.step, 10));
    });
  });
  document.addEventListener('keydown', function(ev){
    var sec = document.querySelector('section.trace[data-current]'); if(!sec) return;
    var i = parseInt(sec.dataset.current, 10);
    if(ev.key === 'ArrowDown' || ev.key === 'j'){ show(sec, i + 1); ev.preventDefault(); }
    if(ev.key === 'ArrowUp' || ev.key === 'k'){ show(sec, i - 1); ev.preventDefault(); }
  });
})();
"""
