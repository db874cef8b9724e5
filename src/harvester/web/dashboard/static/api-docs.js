// Starts Swagger UI (/docs) or ReDoc (/redoc) without inline script (CSP: script-src 'self').
(function () {
  "use strict";
  var swagger = document.getElementById("swagger-ui");
  if (swagger && window.SwaggerUIBundle) {
    window.ui = window.SwaggerUIBundle({
      url: swagger.dataset.specUrl,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  }
  var redoc = document.getElementById("redoc");
  if (redoc && window.Redoc) {
    window.Redoc.init(
      redoc.dataset.specUrl,
      { nonce: redoc.dataset.nonce, disableSearch: true },
      redoc,
    );
  }
})();
