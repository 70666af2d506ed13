"""Plain Django views of the API app: the docs page's static files, and the JSON answers
for a path no endpoint has (404) or a method the path does not take (405)."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
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


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any path under /api/v1/ that no endpoint has (a typo, a trailing slash, an external id
    with a "/"): a JSON 404 like every other API error. Because the path resolves, Django's
    CommonMiddleware never redirects it (or, for a POST in DEBUG, raises) to add a slash."""
    return JsonResponse({"detail": f"No such endpoint: {request.method} {request.path}. See /api/v1/docs."}, status=404)


def json_method_not_allowed(view):
    """``view`` (one of ninja's path views), with its plain-text 405 for a method the path
    does not take answered as JSON with ``detail`` (the ``Allow`` header kept)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            answer = JsonResponse(
                {"detail": f"Method {request.method} is not allowed on {request.path}; allowed: {allowed}."},
                status=405,
            )
            if allowed:
                answer["Allow"] = allowed
            return answer
        return response

    return wrapped
