"""Entry point of the app bundle (PyInstaller runs this as __main__)."""

import sys

from yamview.cli import main

if __name__ == "__main__":
    sys.exit(main())
