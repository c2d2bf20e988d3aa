"""One place for error answers: HTTP errors as JSON for API paths and plain pages elsewhere."""
from flask import Flask, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>{{ code }} {{ name }}</title>
<link rel="stylesheet" href="{{ url_for('static', filename='css/ccc.css') }}">
<main class="error-page"><h1>{{ code }} {{ name }}</h1><p>{{ description }}</p><p><a href="/">CCC home</a></p></main>"""


def register_error_handlers(app: Flask) -> None:
    """Answer HTTP errors in the shape the client expects (JSON for machines, a page for people)."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Render an HTTP error."""
        wants_json = request.path.startswith("/api/") or request.path == "/healthz" or (
            request.accept_mimetypes.best == "application/json")
        if wants_json:
            body = {"ok": False, "error": {"code": exc.name.lower().replace(" ", "_"), "message": exc.description}}
            return jsonify(body), exc.code
        return render_template_string(_PAGE, code=exc.code, name=exc.name, description=exc.description), exc.code
