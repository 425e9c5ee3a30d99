"""The HTML login page and the logout form (``/login`` and ``/logout`` by default).

The page answers people: a refused login shows the form again with the error and
the 4xx status.  A client that does not ask for HTML (no ``text/html`` in
``Accept``) gets the same errors as JSON, like every auth route.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...exceptions import PotionException, RequestTooLarge, ValidationError
from . import csrf
from .errors import CSRFError
from .extension import Auth, csrf_exempt, is_safe_redirect
from .settings import setting

__all__ = ["make_blueprint"]

#: Largest login form accepted (bytes).
FORM_LIMIT = 16 * 1024


def make_blueprint(auth: Auth, app: Flask) -> Blueprint:
    """The blueprint of the login and logout pages, at the configured URLs."""
    blueprint = Blueprint("potion_auth", __name__, template_folder="templates")

    @csrf_exempt  # the form carries its own token, checked below
    def login() -> Any:
        next_url = request.values.get("next", "")
        if not is_safe_redirect(next_url):
            next_url = ""
        if request.method == "GET":
            return _page(auth, next_url=next_url)
        username = ""
        try:
            if request.content_length is not None and request.content_length > FORM_LIMIT:
                raise RequestTooLarge(f"The request body is larger than {FORM_LIMIT} bytes")
            try:
                form = request.form
            except RequestEntityTooLarge:
                raise RequestTooLarge(
                    f"The request body is larger than {FORM_LIMIT} bytes"
                ) from None
            if not csrf.check_csrf_token(form.get(setting(current_app, "POTION_AUTH_CSRF_FIELD"))):
                raise CSRFError("CSRF token missing or invalid: reload the login page")
            username = form.get("username", "")
            password = form.get("password", "")
            errors = []
            if not 0 < len(username) <= 150:
                errors.append({"path": ["username"], "message": "Enter your username"})
            if not 0 < len(password) <= 4096:
                errors.append({"path": ["password"], "message": "Enter your password"})
            if errors:
                raise ValidationError(errors, message="Enter your username and password")
            user = auth.authenticate(username, password, request.remote_addr)
        except PotionException as error:
            if _wants_html():
                return _page(auth, next_url=next_url, username=username, error=error)
            raise
        auth.login(user)
        return redirect(next_url or setting(current_app, "POTION_AUTH_LOGIN_REDIRECT"))

    def logout() -> Any:
        # an unsafe request authenticated by the cookie: the CSRF check already ran
        auth.logout()
        return redirect(setting(current_app, "POTION_AUTH_LOGIN_URL"))

    blueprint.add_url_rule(
        setting(app, "POTION_AUTH_LOGIN_URL"), "login", login, methods=["GET", "POST"]
    )
    blueprint.add_url_rule(
        setting(app, "POTION_AUTH_LOGOUT_URL"), "logout", logout, methods=["POST"]
    )
    return blueprint


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > 0


def _page(
    auth: Auth, next_url: str, username: str = "", error: PotionException | None = None
) -> Any:
    user = auth.get_current_user()
    messages = []
    if isinstance(error, ValidationError):
        messages = [e.get("message", "") for e in error.errors] or [error.message or ""]
    elif error is not None:
        messages = [error.as_dict()["message"]]
    status = error.status_code if error is not None else 200
    headers = dict(getattr(error, "headers", {}) or {})
    body = render_template(
        "potion_auth/login.html",
        next_url=next_url,
        username=username,
        errors=messages,
        user=user,
        needs_staff=bool(next_url) and user is not None,
    )
    headers["Cache-Control"] = "no-store"
    headers["X-Frame-Options"] = "DENY"
    return body, status, headers
