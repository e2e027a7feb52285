#!/usr/bin/env python3
"""Write docs/schema/deployment.schema.json from hacheck/deploy/schema.py (the single source of the
keys). tests/test_schemas.py fails while the file differs from what this writes."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hacheck.deploy.json_schema import deployment_schema  # noqa: E402


def text() -> str:
    return json.dumps(deployment_schema(), indent=2) + "\n"


if __name__ == "__main__":
    out = ROOT / "docs" / "schema" / "deployment.schema.json"
    out.write_text(text())
    print(f"wrote {out.relative_to(ROOT)}")
