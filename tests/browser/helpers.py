"""What the browser tests share: signing in a browser context, language, axe-core, screenshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client

from gorod.people.models import User

SERIOUS = {"serious", "critical"}
WRONG_SNILS = "112-233-445 96"
RIGHT_SNILS = "112-233-445 95"
PASSWORD = "Gorod-journey-2026"


def sign_in(page: Any, base_url: str, user: User) -> None:
    """Give the browser a session for ``user`` without going through the form."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
    )


def use_language(page: Any, base_url: str, code: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": base_url}]
    )


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page with impact serious or critical."""
    page.add_script_tag(path=str(Path(settings.NODE_MODULES_DIR) / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(
            f"    {json.dumps(node['target'])}: {node.get('failureSummary', '')}"
            for node in violation["nodes"]
        )
    return "\n".join(lines)


def assert_accessible(page: Any, output_dir: Path, name: str) -> None:
    """Screenshot the page as ``name``, then fail on any serious or critical axe violation."""
    screenshot(page, output_dir, name)
    violations = serious_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"


def screenshot(page: Any, output_dir: Path, name: str) -> Path:
    path = output_dir / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_sign_up(page: Any, snils: str) -> None:
    page.fill("#id_last_name", "Соколова")
    page.fill("#id_first_name", "Татьяна")
    page.fill("#id_patronymic", "Игоревна")
    page.fill("#id_birth_date", "1990-04-12")
    page.fill("#id_snils", snils)
    page.fill("#id_email", "sokolova@example.test")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)


def submit(page: Any) -> None:
    """Submit the page's main form and wait for the answer."""
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
