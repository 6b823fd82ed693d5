"""Print the API's OpenAPI document without starting a server or touching any cloud resource.

The SPA's typed client is generated from this output (``cd frontend && npm run gen:api``), so the
document comes from the same route table and pydantic models the handlers use."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", help="write here (only once the document is complete) instead of stdout")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    # Importing the app only reads configuration; a throwaway signing secret satisfies its check
    # and is never used to sign anything here.
    os.environ.setdefault("VS_JWT_SECRET", "openapi-dump-" + "x" * 40)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import app  # noqa: F401  (registers the routes)
    from chalicelib.api.openapi import build_document

    text = json.dumps(build_document(), indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
