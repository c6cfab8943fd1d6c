import sys

from asymroute.cli import main

sys.exit(main())
