"""Fixtures of the activity tests: a real SMTP server (aiosmtpd on 127.0.0.1) and the task worker."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.core.test_worker import make_worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def attachments(self) -> list[email.message.EmailMessage]:
        return list(self.message.iter_attachments())


@dataclass
class Inbox:
    """What the SMTP server received; ``refuse`` makes it answer 550 to those recipients."""

    port: int
    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable: user refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def use_smtp(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    use_smtp(settings, inbox.port)
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings) -> int:
    """Mail goes to a local port where nothing listens (connection refused)."""
    port = free_port()
    use_smtp(settings, port)
    return port


def run_worker() -> None:
    """Run every ready task in-process, as ``manage.py rapport_worker --batch`` does."""
    make_worker("activities-test").run()


@pytest.fixture
def worker():
    return run_worker


@pytest.fixture
def deal(cast):
    """A deal of the sales rep in a fresh pipeline (Qualified → Proposal → Negotiation)."""
    from tests.sales.factories import DealFactory, PipelineFactory

    pipeline = PipelineFactory(workspace=cast.workspace, name="Sales")
    return DealFactory(pipeline=pipeline, owner=cast.sales, name="Engines renewal")


from tests.api.conftest import api, as_token, make_token  # noqa: E402, F401 (API fixtures)
