"""``python -m assets_pipeline.cli``: the command as a process of its own, like the ``nrledger`` script."""

import sys

from assets_pipeline.cli import command

sys.exit(command())
