#!/usr/bin/env python
"""The command line of the example project (a lending library, in example/).

``python manage.py demo`` migrates, loads the demo data, creates demo users and
serves the library; ``python manage.py --help`` lists every command.
"""

import os

if __name__ == "__main__":
    os.environ.setdefault("POTION_SETTINGS", "example.settings")
    from potion.cli.manage import main

    main()
