"""Entry point of the frozen installer (`bin/airlift` in a bundle): the same main as
`python -m installer`, so the frozen and the source installer behave alike."""

import sys

from installer.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
