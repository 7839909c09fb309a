"""``python -m hbtheory``: the same command line as the ``hbtheory`` script."""

import sys

from hbtheory.cli import main

sys.exit(main())
