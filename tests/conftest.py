import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The start-up cache (compiled actions, symmetry proofs) of the test run lives in a folder of its own,
# so the suite neither reads a user's ~/.cache/hacheck nor leaves entries there (subprocesses inherit it).
os.environ["HACHECK_CACHE_DIR"] = tempfile.mkdtemp(prefix="hacheck-test-cache-")


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
