"""The API function's resolver: the approval routes, the console's JSON API and its pages, one Powertools
`APIGatewayHttpResolver` with request validation and the OpenAPI document (`openapi_document`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from fivetran_recovery.approvals import api as approval_api
from fivetran_recovery.console import api as console_api
from fivetran_recovery.console import pages, rollback_pages
from fivetran_recovery.console.access import secure_headers

TITLE = "Fivetran Recovery API"
VERSION = "1.0.0"


def _security_headers(app: APIGatewayHttpResolver, next_middleware: Any) -> Response:
    return secure_headers(next_middleware(app))


def build_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    app.include_router(approval_api.router)
    app.include_router(console_api.router)
    app.include_router(pages.router)
    app.include_router(rollback_pages.router)
    app.use(middlewares=[_security_headers])

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        """422 in the documented HTTPValidationError shape (Powertools' own answer leaves out `msg`)."""
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg") or e.get("type") or "invalid"),
                   "type": str(e.get("type") or "value_error")} for e in exc.errors()]
        return secure_headers(Response(status_code=422, content_type="application/json",
                                       body=json.dumps({"statusCode": 422, "detail": detail})))

    @app.not_found
    def _not_found(_: NotFoundError) -> Response:
        event = app.current_event
        body = {"error": f"no route for {event.http_method.upper()} {event.path}"}
        return secure_headers(Response(status_code=404, content_type="application/json", body=json.dumps(body)))

    return app


def openapi_document(app: APIGatewayHttpResolver | None = None) -> dict[str, Any]:
    """OpenAPI 3.1 of the JSON routes (pages and Slack's callback are not an API for scripts). The committed copy is
    docs/openapi/console.json; regenerate it with `python -m fivetran_recovery.console.app > docs/openapi/console.json`.
    """
    document = json.loads((app or build_resolver()).get_openapi_json_schema(title=TITLE, version=VERSION))
    document["paths"] = {p: v for p, v in document["paths"].items()
                         if not p.startswith(("/console", "/slack"))}
    return document


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))
