import sys

from yamview.cli import main

sys.exit(main())
