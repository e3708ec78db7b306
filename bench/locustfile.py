"""The load-test mix (run by bench/loadtest.py; see docs/benchmarks.md).

Each simulated user works in a session of the demo workspace's owner or admin (opened once by
loadtest.py: logging in 50 times at once measures password hashing and trips the login rate
limit), then, with pauses between clicks (``LOADTEST_THINK`` = "min,max" seconds, 2 to 8 s by
default: a person reads the page before the next click; loadtest.py ``--think 0.5,2`` makes a
stress run), opens lists (contacts, companies, deals), record pages, searches (API and the
command palette), edits a contact through the API, moves a deal on the board, and reads API
pages. Record ids and stages come from ``LOADTEST_DATA`` (a JSON file written by loadtest.py).

The server runs in production mode behind no proxy on 127.0.0.1: requests say
``X-Forwarded-Proto: https`` (as a TLS-terminating proxy would) and the session cookies, which
are Secure, are sent by hand.
"""

from __future__ import annotations

import json
import os
import random

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ["LOADTEST_DATA"]).read())  # noqa: SIM115 - read once at start
THINK_MIN, THINK_MAX = (float(s) for s in os.environ.get("LOADTEST_THINK", "2,8").split(","))


class CrmUser(HttpUser):
    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        """Reuse one of the sessions loadtest.py opened (the mix measures work, not password hashing)."""
        self.rng = random.Random()
        self.origin = "https://" + self.host.split("://", 1)[1]
        self.cookies: dict[str, str] = dict(self.rng.choice(DATA["sessions"]))

    # -- plumbing: Secure cookies over plain HTTP, the CSRF header, no redirect following
    def _headers(self, path: str, extra: dict | None = None) -> dict[str, str]:
        headers = {"X-Forwarded-Proto": "https", "Referer": f"{self.origin}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        return headers | (extra or {})

    def _keep(self, response) -> None:
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value

    def _send(self, method: str, path: str, *, name: str, expect=(200,), headers=None, **kwargs):
        with self.client.request(
            method,
            path,
            name=name,
            headers=self._headers(path, headers),
            allow_redirects=False,
            catch_response=True,
            **kwargs,
        ) as response:
            self._keep(response)
            if response.status_code in expect:
                response.success()
            else:
                body = (response.text or "")[:200].replace("\n", " ")
                response.failure(f"status {response.status_code}: {body}")
            return response

    def _get(self, path: str, *, name: str, **kwargs):
        return self._send("GET", path, name=name, **kwargs)

    def _post(self, path: str, *, name: str, **kwargs):
        return self._send("POST", path, name=name, **kwargs)

    # -- the mix
    @task(6)
    def lists(self) -> None:
        path, name = self.rng.choice(
            [("/contacts/", "list: contacts"), ("/companies/", "list: companies"), ("/deals/", "list: deals")]
        )
        self._get(path, name=name)

    @task(6)
    def record_pages(self) -> None:
        kind = self.rng.choice(["contacts", "companies", "deals"])
        pk = self.rng.choice(DATA[kind])
        url = {"contacts": "/contacts/{}/", "companies": "/companies/{}/", "deals": "/deals/{}/"}[kind]
        self._get(url.format(pk), name=f"record: {kind}")

    @task(4)
    def search(self) -> None:
        term = self.rng.choice(DATA["terms"])
        if self.rng.random() < 0.5:
            self._get("/api/v1/search/", params={"q": term}, name="search: API")
        else:
            self._get("/search/palette/", params={"q": term[:3]}, name="search: palette")

    @task(2)
    def edit_contact(self) -> None:
        pk = self.rng.choice(DATA["editable_contacts"])
        title = self.rng.choice(["Buyer", "Head of IT", "CFO", "Operations lead", "Founder"])
        self._send(
            "PATCH",
            f"/api/v1/contacts/{pk}/",
            json={"job_title": title},
            name="edit: contact (API PATCH)",
            headers={"Accept": "application/json"},
        )

    @task(2)
    def kanban_move(self) -> None:
        pk, stages = self.rng.choice(DATA["board_deals"])
        self._post(
            f"/deals/{pk}/move/", data={"stage": self.rng.choice(stages)}, name="board: move deal", expect=(302,)
        )

    @task(1)
    def board(self) -> None:
        self._get(f"/pipelines/{DATA['board_pipeline']}/board/", name="board: open")

    @task(3)
    def api_pages(self) -> None:
        path = self.rng.choice(["/api/v1/contacts/", "/api/v1/companies/", "/api/v1/deals/"])
        self._get(path, name=f"API: {path}", headers={"Accept": "application/json"})
