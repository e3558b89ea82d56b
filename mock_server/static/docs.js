// Render this server's contract with Swagger UI, and send "Try it out" to this very server.
"use strict";

(function () {
  var target = document.getElementById("swagger-ui");

  function render(spec) {
    // openapi.yaml names the default address; the page must call the server that served it.
    spec.servers = [{ url: window.location.origin, description: "this tango-mock" }];
    window.ui = SwaggerUIBundle({
      spec: spec,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      presets: [SwaggerUIBundle.presets.apis],
      deepLinking: true,
      displayOperationId: true,
      displayRequestDuration: true,
      persistAuthorization: true,
      defaultModelsExpandDepth: 0,
      validatorUrl: null,
    });
  }

  fetch("/openapi.json", { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("GET /openapi.json answered " + response.status);
      }
      return response.json();
    })
    .then(render)
    .catch(function (error) {
      target.textContent = "Could not load the contract: " + error.message;
    });
})();
