"""`python -m serving.server ...`: the local model server (same flags as `albert serve`)."""

import sys

from serving.server.server import main

if __name__ == "__main__":
    sys.exit(main())
