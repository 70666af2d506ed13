"""Plain Django views of the API app: the docs page's static files."""

from __future__ import annotations

from pathlib import Path

import ninja
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# Swagger UI as bundled with django-ninja (so its version follows ninja's); only these files.
NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
    "favicon.png": "image/png",
}


@require_GET
@cache_control(max_age=86400, public=True)
def docs_asset(request, name: str):
    content_type = DOCS_ASSETS.get(name)
    if content_type is None:
        raise Http404
    return FileResponse((NINJA_STATIC / name).open("rb"), content_type=content_type)
