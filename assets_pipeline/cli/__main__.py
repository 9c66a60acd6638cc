import sys

from assets_pipeline.cli import main

sys.exit(main())
