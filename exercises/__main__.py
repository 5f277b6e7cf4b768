"""``python -m labcoat.exercises`` is the ``labcoat`` command."""

from labcoat.exercises.cli import main

raise SystemExit(main())
