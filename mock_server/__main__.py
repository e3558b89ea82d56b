"""`python -m mock_server` is the same as the `tango-mock` command."""

from __future__ import annotations

from mock_server.cli import main

raise SystemExit(main())
