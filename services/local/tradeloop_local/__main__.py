import sys

from tradeloop_local.cli import main

sys.exit(main())
