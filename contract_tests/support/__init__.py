"""What the contract suite's test modules share: the run, its client, checks and reports.

Nothing here is a test, and nothing here imports a test module. The helpers import each
other and `mock_server` (the spec and, without --base-url, the local mock), so they work the
same from a checkout and from the installed wheel.
"""
