"""The one seam to a mail server: digests leave through an SMTP relay named HOST:PORT."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from disentangle.errors import InputError

SMTP_ENV = "DISENTANGLE_SMTP"  # HOST:PORT, when --smtp is not given
SMTP_USER_ENV = "DISENTANGLE_SMTP_USER"  # with a password: STARTTLS, then log in
SMTP_PASSWORD_ENV = "DISENTANGLE_SMTP_PASSWORD"
DEFAULT_SMTP = "127.0.0.1:25"
TIMEOUT_SECONDS = 30


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    host: str
    port: int
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, text: str | None) -> SmtpRelay:
        """HOST:PORT (or HOST, port 25); a bad value is one clear line."""
        value = (text or os.environ.get(SMTP_ENV) or DEFAULT_SMTP).strip()
        host, _, port = value.rpartition(":") if ":" in value else (value, "", "25")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise InputError(f"the SMTP server must be HOST:PORT, not {value!r}")
        return cls(host, int(port), os.environ.get(SMTP_USER_ENV), os.environ.get(SMTP_PASSWORD_ENV))

    def send(self, messages: list[EmailMessage]) -> list[str]:
        """Send each message over one connection; return the Message-IDs the server accepted. A refused
        recipient or an unreachable server is an InputError naming the server; messages sent before it
        stay sent (the caller records each one as it goes)."""
        accepted: list[str] = []
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as client:
                if self.user and self.password:
                    client.starttls(context=ssl.create_default_context())
                    client.login(self.user, self.password)
                for message in messages:
                    client.send_message(message)
                    accepted.append(str(message["Message-ID"]))
        except (OSError, smtplib.SMTPException) as exc:
            raise InputError(f"SMTP server {self.host}:{self.port}: {exc}") from exc
        return accepted

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"
