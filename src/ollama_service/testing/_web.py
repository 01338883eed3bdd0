"""ollama.com's web search and fetch, as the fake server answers them.

The official client (and ours) send `web_search` and `web_fetch` to ollama.com with an API
key as `Authorization: Bearer ...`. Point a client's web base URL at the fake server
(`Client(web_base_url=server.base_url)` or `OLLAMA_WEB_BASE_URL`) and these answer instead,
deterministically: results and pages are derived from the query or URL, so tests can assert
them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ollama_service.testing._fields import BODIES, KINDS
from ollama_service.testing._validate import ApiError, as_dict

__all__ = ["WEB_FETCH_PATH", "WEB_SEARCH_PATH", "fetch_page", "search_results"]

WEB_SEARCH_PATH = "/api/web_search"
WEB_FETCH_PATH = "/api/web_fetch"
_MAX_RESULTS = 10


def _authorize(headers: Mapping[str, str]) -> None:
    if not headers.get("authorization", "").startswith("Bearer "):
        raise ApiError(401, "unauthorized")


def _fits(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    raise ValueError(f"web request fields are strings or integers, not {kind!r}")


def _body(path: str, parsed: Any, json_error: str | None) -> dict[str, Any]:
    """The JSON object body, its known fields (``_fields.BODIES``) of the right type."""
    if json_error is not None:
        raise ApiError(400, json_error)
    body = as_dict(parsed)
    if body is None:
        raise ApiError(400, "invalid request body")
    for key, kind in BODIES[path].fields.items():
        value = body.get(key)
        if value is not None and not _fits(value, kind):
            raise ApiError(400, f"{key} must be {KINDS[kind]}")
    return body


def search_results(
    headers: Mapping[str, str], parsed: Any, json_error: str | None
) -> dict[str, Any]:
    """The reply to `POST /api/web_search`: `max_results` (default 5, at most 10) results.

    Raises:
        ApiError: 401 without a Bearer key; 400 for a missing query, a field of the wrong
            type or a bad max_results.
    """
    _authorize(headers)
    body = _body(WEB_SEARCH_PATH, parsed, json_error)
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ApiError(400, "query is required")
    count = body.get("max_results", 5)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ApiError(400, "max_results must be a positive integer")
    return {
        "results": [
            {
                "title": f"Result {i} for {query}",
                "url": f"https://example.com/search/{i}",
                "content": f"Content of result {i} about {query}.",
            }
            for i in range(1, min(count, _MAX_RESULTS) + 1)
        ]
    }


def fetch_page(headers: Mapping[str, str], parsed: Any, json_error: str | None) -> dict[str, Any]:
    """The reply to `POST /api/web_fetch`: a page whose title and text name the URL.

    Raises:
        ApiError: 401 without a Bearer key; 400 for a missing or non-string URL.
    """
    _authorize(headers)
    body = _body(WEB_FETCH_PATH, parsed, json_error)
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ApiError(400, "url is required")
    return {
        "title": f"Page at {url}",
        "content": f"The text of {url}.",
        "links": [f"{url.rstrip('/')}/about", f"{url.rstrip('/')}/contact"],
    }
