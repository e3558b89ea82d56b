"""The ceiling: bare aiohttp answering fixed JSON; no state, auth or validation, but a POST's
body is read as JSON, as any create must. Arguments: the port, then `uvloop` to serve on
uvloop (an informational row of the benchmark; the targets compare with asyncio's loop)."""

import sys

from aiohttp import web

BODY = (
    b'[{"deployment_key":"mlflow-deployment-staging","workspace":"my-workspace",'
    b'"registry_connector_class":"tango_shared.connectors.deployment.mlflow_registry_connector.'
    b'MlflowModelRegistryConnector","registry_connector_init":{"model_registry_url":'
    b'"http://mlflow.example.com:5000","tracking_server_url":"http://mlflow.example.com:5000"},'
    b'"server_proxy_class":"tango_shared.connectors.deployment.mlflow_server_proxy.'
    b'MlflowModelServerProxy","server_proxy_init":{"server_proxy_url":'
    b'"http://mlflow-serving.example.com:8080"}}]'
)


async def fixed(request: web.Request) -> web.Response:
    if request.method == "DELETE":
        return web.Response(status=204)
    if request.method == "POST":
        await request.json()
    status = 201 if request.method == "POST" else 200
    return web.Response(status=status, body=BODY, content_type="application/json")


app = web.Application()
app.router.add_route("*", "/api/deployment", fixed)
app.router.add_route("*", "/api/deployment/{key}", fixed)
if __name__ == "__main__":
    loop = __import__("uvloop").new_event_loop() if sys.argv[2:] == ["uvloop"] else None
    port = int(sys.argv[1])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, loop=loop)
