"""The client/server contract checker: pure checks, a stateful tracker, reports, the proxy."""
