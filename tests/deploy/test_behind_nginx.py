"""The service behind nginx, as deployed: deploy/nginx/koalicja.conf in front of
deploy/gunicorn.conf.py with ``TRUSTED_PROXY_HOPS=1`` (``tests.deploy.proxy``).

Through the proxy, over HTTPS and HTTP/2, a participant registers on the event page, a
calendar client reads the feed and an organiser signs in. The proxy redirects plain
HTTP, refuses a body over the limit before the service sees it, serves the static files
itself, logs no paths, and passes on the client's address, scheme and host so that
the service sees what nginx saw, and never what a client wrote in its own headers.
"""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from bs4 import BeautifulSoup

from registration import create_app
from registration.extensions import db
from tests.conftest import BACKENDS, app_config, empty_postgresql
from tests.deploy.proxy import LOOPBACK, PROJECT, Deployment, deployment
from tests.factories import PASSWORD, make_account, make_event
from tests.registrations.test_registration_pages import FORM

pytestmark = pytest.mark.processes

ORGANISER = "organiser@example.org"
#: Headers a client might write to pass for another address, scheme or host.
SPOOFED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Host": "attacker.example",
    "X-Forwarded-Port": "8443",
}


@dataclass(frozen=True)
class Site:
    deployment: Deployment
    event_id: int

    def __getattr__(self, name: str):
        return getattr(self.deployment, name)


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """One deployment for the module on each backend (nginx and gunicorn take seconds to
    start), with a published event and an organiser of its city, and the rate limits on,
    as in production. Each test registers its own address and signs in from its own
    loopback address, so that none depends on another."""
    folder = tmp_path_factory.mktemp("behind-nginx")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'registration.sqlite3'}"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), folder / "registration.sqlite3")
    else:
        url = request.getfixturevalue("postgresql_url")
        empty_postgresql(url)
    app = create_app(app_config(url), instance_path=str(folder / "instance"))
    with app.app_context():
        event = make_event(title="Wizyta studyjna: dane o publiczności", capacity=50)
        make_account(ORGANISER)
        db.session.commit()
        event_id = event.id
        db.engine.dispose()
    with deployment(url, environment={"RATELIMIT_ENABLED": "1"}) as running:
        yield Site(running, event_id)


def browser(site: Site, *, address: str = LOOPBACK, http2: bool = True) -> httpx.Client:
    """An HTTP/2 client that trusts the test's certificate, from a loopback ``address``."""
    tls = ssl.create_default_context(cafile=str(site.certificate))
    transport = httpx.HTTPTransport(http2=http2, verify=tls, local_address=address)
    return httpx.Client(base_url=site.https_url, transport=transport, timeout=30)


def csrf_token(page: httpx.Response) -> str:
    field = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, page.text[:500]
    return field["value"]


def test_a_participant_registers_on_the_event_page_over_http2(site):
    """The form's POST passes Flask-WTF's HTTPS check that the Referer is this very site:
    the service knows the request came over HTTPS, to this host and port, only from
    nginx's X-Forwarded-Proto, -Host and -Port."""
    with browser(site) as client:
        page = client.get(f"/events/{site.event_id}")
        assert page.status_code == 200
        assert page.http_version == "HTTP/2"
        # Sent only on requests that arrived over HTTPS, as the service knows from nginx.
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")
        answer = client.post(
            f"/events/{site.event_id}",
            data={**FORM, "csrf_token": csrf_token(page)},
            headers={"Referer": f"{site.https_url}/events/{site.event_id}", **SPOOFED},
        )
        assert answer.status_code == 303, answer.text[:2000]
        manage_path = answer.headers["Location"]
        assert manage_path.startswith("/r/")
        manage = client.get(manage_path)
        assert manage.status_code == 200
        assert manage.http_version == "HTTP/2"
        assert "Zofia Wiśniewska" in manage.text


def test_a_form_sent_from_another_site_is_refused_through_the_proxy(site):
    """The same check, failing: the host the service compares with is the proxy's, so a
    Referer of another origin is refused, however the client names the host itself."""
    with browser(site) as client:
        page = client.get(f"/events/{site.event_id}")
        answer = client.post(
            f"/events/{site.event_id}",
            data={**FORM, "csrf_token": csrf_token(page)},
            headers={"Referer": f"https://attacker.example/events/{site.event_id}", **SPOOFED},
        )
        assert answer.status_code == 400


def test_a_calendar_client_reads_the_feed_and_revalidates_it(site):
    with browser(site) as client:
        feed = client.get("/calendar.ics")
        assert feed.status_code == 200
        assert feed.http_version == "HTTP/2"
        assert feed.headers["Content-Type"].startswith("text/calendar")
        assert f"UID:event-{site.event_id}@{LOOPBACK}" in feed.text
        again = client.get("/calendar.ics", headers={"If-None-Match": feed.headers["ETag"]})
        assert again.status_code == 304


def test_an_organiser_signs_in_and_keeps_the_https_only_session(site):
    with browser(site) as client:
        form = client.get("/organiser/login")
        answer = client.post(
            "/organiser/login",
            data={"email": ORGANISER, "password": PASSWORD, "csrf_token": csrf_token(form)},
            headers={"Referer": f"{site.https_url}/organiser/login"},
        )
        assert answer.status_code == 303, answer.text[:2000]
        # Production's session cookie is a __Host- cookie, which browsers keep over HTTPS only.
        cookies = answer.headers.get_list("Set-Cookie")
        session = next(c for c in cookies if c.startswith("__Host-session="))
        assert "; Secure" in session
        dashboard = client.get(answer.headers["Location"])
        assert dashboard.status_code == 200
        assert dashboard.url.path.startswith("/organiser")
        assert "Wizyta studyjna: dane o publiczności" in dashboard.text


def test_the_client_address_is_the_one_nginx_saw_whatever_the_client_claims(site):
    """Sign-in allows 10 attempts a minute per client address. A client at 127.0.0.2 that
    names a new address in X-Forwarded-For each time is still stopped at the 11th, and a
    client at 127.0.0.3 is not: the service counts the address nginx connected from."""
    with browser(site, address="127.0.0.2") as client:
        form = client.get("/organiser/login")
        token, statuses = csrf_token(form), []
        for attempt in range(11):
            answer = client.post(
                "/organiser/login",
                data={
                    "email": f"guess{attempt}@example.org",  # the per-account limit stays out
                    "password": "wrong",
                    "csrf_token": token,
                },
                headers={
                    "Referer": f"{site.https_url}/organiser/login",
                    "X-Forwarded-For": f"198.51.100.{attempt}",
                },
            )
            statuses.append(answer.status_code)
        assert statuses == [401] * 10 + [429]
    with browser(site, address="127.0.0.3") as client:
        form = client.get("/organiser/login")
        answer = client.post(
            "/organiser/login",
            data={"email": ORGANISER, "password": "wrong", "csrf_token": csrf_token(form)},
            headers={"Referer": f"{site.https_url}/organiser/login"},
        )
        assert answer.status_code == 401


def test_plain_http_is_redirected_to_https_on_the_sites_own_name(site):
    answer = httpx.get(
        f"{site.http_url}/events/{site.event_id}?lang=en",
        headers={"Host": "attacker.example"},
        timeout=30,
    )
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{site.https_url}/events/{site.event_id}?lang=en"


def test_a_body_over_the_limit_is_refused_by_nginx_before_the_service(site):
    """1 MiB, as the service's own limit. nginx's refusal is its HTML page, without the
    headers the service puts on every answer, so no gunicorn worker took it."""
    path = f"/api/v1/events/{site.event_id}/registrations"
    headers = {"Content-Type": "application/json"}
    # Over HTTP/1.1: httpx's HTTP/2 client sends the whole body before it reads an answer,
    # and nginx, having answered, grants no more room to send it.
    with browser(site, http2=False) as client:
        too_large = client.post(path, content=b" " * (1024 * 1024 + 1), headers=headers)
    assert too_large.status_code == 413
    assert too_large.headers["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" not in too_large.headers
    # Just under the limit, the service answers: a problem document of its own.
    with browser(site) as client:
        under = client.post(path, content=b"{}" + b" " * (1024 * 1024 - 2), headers=headers)
    assert under.status_code == 422
    assert under.headers["Content-Type"] == "application/problem+json"


def test_nginx_serves_the_static_files_itself(site):
    stylesheet = (PROJECT / "registration" / "static" / "css" / "site.css").read_bytes()
    with browser(site) as client:
        answer = client.get("/static/css/site.css")
        assert answer.status_code == 200
        assert answer.content == stylesheet
        assert answer.headers["Content-Type"].startswith("text/css")
        assert answer.headers["Cache-Control"] == "max-age=3600"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        again = client.get(
            "/static/css/site.css",
            headers={"If-Modified-Since": answer.headers["Last-Modified"]},
        )
        assert again.status_code == 304
    # gunicorn would have added the service's Content-Security-Policy, as it does here.
    assert "Content-Security-Policy" not in answer.headers
    direct = httpx.get(f"{site.gunicorn_url}/static/css/site.css", timeout=30)
    assert "Content-Security-Policy" in direct.headers


def test_the_access_log_records_requests_without_their_paths(site):
    logged_before = len(site.access_log().splitlines())
    with browser(site, address="127.0.0.4") as client:
        page = client.get(f"/events/{site.event_id}")
        answer = client.post(
            f"/events/{site.event_id}",
            data={**FORM, "email": "ewa@example.org", "csrf_token": csrf_token(page)},
            headers={"Referer": f"{site.https_url}/events/{site.event_id}"},
        )
        manage_path = answer.headers["Location"]
        assert client.get(manage_path).status_code == 200
    log = site.access_log().splitlines()[logged_before:]
    assert [line.split()[1:3] for line in log] == [["GET", "200"], ["POST", "303"], ["GET", "200"]]
    assert not [line for line in log if manage_path.removeprefix("/r/") in line or "/" in line]
