"""The admin API under `/_mock` (mock_admin.yaml): reset, state, request journal, faults, and
who may call it.

Not part of the TANGO contract. Handlers over the `state` models, using the `http` layer's
body reading and answers; only the app factory (`mock_server.app`) imports this package.
"""
