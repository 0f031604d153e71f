"""`python -m app`: the same as the `glassroom` command."""

import sys

from app.cli import main

sys.exit(main())
