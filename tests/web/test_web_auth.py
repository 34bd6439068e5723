"""Sign-in, sessions, CSRF and the sign-in rate limit, over HTTP against the real stores."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.pdfs import proposal
from tests.web.conftest import PASSWORD, People, csrf_of, sign_in, upload
from tracker.stores.clickhouse import ClickHouse
from tracker.users import Role, create_user, verify_sign_in


def test_pages_need_a_session_and_sign_in_starts_one(
    app_client: TestClient, people: People
) -> None:
    response = app_client.get("/app/documents?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/app/login?next=%2Fapp%2Fdocuments%3Fx%3D1"

    signed_in = sign_in(app_client, people.rep_a)
    assert signed_in.status_code == 303  # type: ignore[attr-defined]
    cookie = signed_in.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "ds_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = app_client.get("/app/documents")
    assert page.status_code == 200 and "Alice" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_sign_in_redirects_only_within_the_site(app_client: TestClient, people: People) -> None:
    form = app_client.get("/app/login")
    token = form.text.split('name="csrf" value="')[1].split('"')[0]
    response = app_client.post(
        "/app/login",
        data={
            "email": people.rep_a,
            "password": PASSWORD,
            "csrf": token,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/app/documents"


def test_wrong_password_is_refused_and_failures_are_rate_limited(
    app_client: TestClient, people: People
) -> None:
    wrong = sign_in(app_client, people.rep_a, "not the password")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert "Wrong email or password." in wrong.text  # type: ignore[attr-defined]
    assert "ds_session" not in app_client.cookies
    budget = app_client.app.state.services.settings.auth.signin_failures_per_account  # type: ignore[attr-defined]
    for _ in range(budget - 1):
        sign_in(app_client, people.rep_a, "still wrong")
    blocked = sign_in(app_client, people.rep_a)  # the right password, but too late
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    assert "ds_session" not in app_client.cookies
    other = sign_in(app_client, people.rep_b)  # other accounts are not affected
    assert other.status_code == 303  # type: ignore[attr-defined]


def test_unknown_email_is_refused_like_a_wrong_password(
    app_client: TestClient, people: People
) -> None:
    response = sign_in(app_client, "nobody@acme.test")
    assert response.status_code == 401  # type: ignore[attr-defined]


def test_form_posts_without_the_csrf_token_are_forbidden(
    app_client: TestClient, people: People
) -> None:
    form = app_client.get("/app/login")
    assert form.status_code == 200
    no_token = app_client.post(
        "/app/login", data={"email": people.rep_a, "password": PASSWORD}, follow_redirects=False
    )
    assert no_token.status_code == 403

    sign_in(app_client, people.rep_a)
    files = {"file": ("p.pdf", proposal(2), "application/pdf")}
    missing = app_client.post("/app/documents", data={"title": "T"}, files=files)
    assert missing.status_code == 403 and "csrf_failed" in missing.text
    wrong = app_client.post("/app/documents", data={"title": "T", "csrf": "forged"}, files=files)
    assert wrong.status_code == 403
    header = app_client.post(
        "/app/documents", data={"title": "T"}, files=files, headers={"X-CSRF-Token": "forged"}
    )
    assert header.status_code == 403
    logout = app_client.post("/app/logout", follow_redirects=False)
    assert logout.status_code == 403
    assert upload(app_client, "T", proposal(2))  # with the token it works


def test_logout_ends_the_session_server_side(app_client: TestClient, people: People) -> None:
    sign_in(app_client, people.rep_a)
    stolen = dict(app_client.cookies)
    response = app_client.post(
        "/app/logout", data={"csrf": csrf_of(app_client)}, follow_redirects=False
    )
    assert response.status_code == 303
    for name, value in stolen.items():
        app_client.cookies.set(name, value)
    again = app_client.get("/app/documents", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/app/login")


def test_users_store_hashes_passwords_with_argon2(clickhouse: ClickHouse, people: People) -> None:
    row = clickhouse.query(
        f"SELECT password_hash FROM {clickhouse.database}.users FINAL WHERE email = {{e:String}}",
        {"e": people.rep_a},
    )[0]
    assert row["password_hash"].startswith("$argon2id$") and PASSWORD not in row["password_hash"]
    assert verify_sign_in(clickhouse, "ALICE@acme.test ", PASSWORD) is not None
    assert verify_sign_in(clickhouse, people.rep_a, "nope") is None
    user = create_user(
        clickhouse, people.tenant_id, "Carol@Acme.test", "Carol", Role.REP, "long enough pw"
    )
    assert user.email == "carol@acme.test"
