"""The README's hacheck-vs-SPIN table is the one ``benchmarks/bench_vs_spin.py --write-readme`` writes
(issue 21 item 2): same header, every row of the script in order, each cell in the script's format,
and the caveat line naming the command that regenerates it. No SPIN run here: the format only."""

from __future__ import annotations

from pathlib import Path

from benchmarks import bench_vs_spin as bench

ROOT = Path(__file__).resolve().parent.parent


def line(name: str, bfs: bool = True) -> str:
    return (f"| {name} | 878,800 | 448k (440k) | 785k (780k) | {'700k (690k)' if bfs else '-'} | 0.57 | 300k (290k) | "
            f"40k (39k) | 7.50 | 144 | 76 / {'100' if bfs else '-'} |")


def test_the_readme_block_has_the_scripts_table():
    assert bench.check_readme(ROOT / "README.md") == []


def test_a_written_block_passes_and_a_hand_edited_one_does_not(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{bench.BEGIN}\nold\n{bench.END}\n\nafter\n")
    bench.write_readme([line(r.name, r.bfs) for r in bench.ROWS], "a test", 3, readme)
    text = readme.read_text()
    assert text.startswith("# x\n\n") and text.endswith("\n\nafter\n") and "old" not in text
    assert bench.check_readme(readme) == []
    for bad in (text.replace("448k (440k)", "448k"),  # no median
                text.replace("| 0.57 |", "| 0.6 |"),  # ratio not to two places
                text.replace(bench.ROWS[0].name, "lease5"),  # a row the script does not have
                text.replace(bench.COMMAND, "make bench"),  # no way to regenerate
                text.replace(bench.HEADER, bench.HEADER.replace("ratio", "speed"))):
        readme.write_text(bad)
        assert bench.check_readme(readme), bad
    lines = text.splitlines()
    readme.write_text("\n".join(x for x in lines if not x.startswith(f"| {bench.ROWS[-1].name} |")) + "\n")
    assert any("in order" in p for p in bench.check_readme(readme))  # a row missing


def test_every_row_is_parsed_by_the_format_it_is_written_in():
    for r in bench.ROWS:
        cells = bench.parse_row(line(r.name, r.bfs))
        assert cells is not None and cells[0] == r.name and len(cells) == len(bench.HEADER.split(" | "))


def test_a_row_left_at_the_time_limit_says_so_and_still_passes(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"{bench.BEGIN}\n{bench.END}\n")
    rows = [line(r.name, r.bfs) for r in bench.ROWS[:-1]] + [bench.not_measured(bench.ROWS[-1])]
    bench.write_readme(rows, "", 3, readme)
    assert bench.check_readme(readme) == []
    assert f"| {bench.ROWS[-1].name} | not measured in this run" in readme.read_text()
