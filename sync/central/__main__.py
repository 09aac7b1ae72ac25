"""`python -m sync.central` is `huddle-central`."""

import sys

from sync.central.cli import main

sys.exit(main())
