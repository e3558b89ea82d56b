"""The TANGO API over HTTP: the request middleware, bearer auth, the four operation handlers,
body reading, answers, fault application, the connection layer, CORS, the docs page, and
the runners that serve an app.

Thin over `mock_server.state`: handlers parse, call the store, serialise. May import
`contract`, `state` and `settings`; never `admin` or the entry points.
"""
