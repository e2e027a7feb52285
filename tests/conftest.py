import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a test passes, every ITF trace it wrote is read by itf-py and every JSON report it wrote
    is valid against docs/schema/report.schema.json (tests/written_files.py)."""
    result = yield
    tmp = getattr(item, "funcargs", {}).get("tmp_path")
    if tmp is not None and Path(tmp).exists():
        from tests.written_files import check_folder

        check_folder(Path(tmp))
    return result
