"""The channels a notice leaves by: small adapters over the standard library.

- :class:`SMSGateway`: an HTTP SMS gateway in the shape common Chinese SMS APIs share
  (Aliyun's ``SendSms``, Tencent Cloud's ``SendSms``): the phone number, the signature name,
  an approved *template id* and the template's *parameters* (never free text: carriers
  only pass pre-approved templates), the request signed with the gateway's secret.
- :class:`WeComRobot` and :class:`DingTalkRobot`: group robots of 企业微信 and 钉钉, with
  their webhook JSON (``{"msgtype": "text", "text": {"content": ...}}``) and DingTalk's
  ``timestamp`` + ``sign`` (HMAC-SHA256 of ``"<timestamp>\\n<secret>"``, Base64).
- :class:`EmailChannel`: SMTP with ``smtplib`` (STARTTLS or SSL, optional login).
- :class:`SignedWebhook`: a JSON POST any system can take, signed with HMAC-SHA256 over
  ``"<timestamp>.<body>"`` in ``X-Gridgov-Signature``; :func:`verify_webhook` is the
  receiver's check, with a replay window.

Every HTTP request carries the notice's idempotency key (``Idempotency-Key`` header; the
SMS gateway's ``OutId``; the e-mail's ``Message-ID``), so a receiver that saw it before can
drop the repeat that at-least-once delivery allows. A send either returns or raises
:class:`DeliveryError`, ``permanent`` when retrying cannot help (the receiver refused the
request as malformed or unauthorised). Secrets come from the environment variables the
settings name; a channel whose secret is missing refuses every notice permanently, with
the variable's name in the reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from gridgov._errors import GridgovError
from gridgov.messages import text
from gridgov.notify.config import ChannelConfig
from gridgov.notify.model import Notice

__all__ = [
    "Channel",
    "DeliveryError",
    "DingTalkRobot",
    "EmailChannel",
    "SMSGateway",
    "SignatureError",
    "SignedWebhook",
    "WeComRobot",
    "build_channel",
    "check_webhook",
    "dingtalk_sign",
    "sign_sms",
    "sign_webhook",
    "verify_webhook",
    "webhook_headers",
]

log = logging.getLogger(__name__)

_USER_AGENT = "gridgov-notify/1"
# HTTP answers that say "try again later": everything else in 4xx is the request's fault
_TRANSIENT = frozenset({408, 425, 429})


class DeliveryError(Exception):
    """A notice not delivered; ``permanent`` when sending it again cannot succeed."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Channel(Protocol):
    """One configured way out: ``send`` returns when the receiver accepted the notice."""

    config: ChannelConfig

    def send(self, notice: Notice) -> None: ...


def _secret(config: ChannelConfig, key: str) -> str:
    name = config.options.get(key)
    if not name:
        return ""
    value = os.environ.get(str(name), "")
    if not value:
        raise DeliveryError(
            f"channel {config.name}: environment variable {name} ({key}) is not set",
            permanent=True,
        )
    return value


def _url(config: ChannelConfig) -> str:
    if config.options.get("url_env"):
        return _secret(config, "url_env")
    return str(config.options.get("url", ""))


def _post(url: str, body: bytes, headers: dict[str, str], *, timeout_s: float, what: str) -> bytes:
    """POST ``body``; the answer's body, or DeliveryError (permanent for a 4xx refusal)."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": _USER_AGENT}
        | headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            return bytes(answer.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:200].decode("utf-8", "replace")
        permanent = 400 <= exc.code < 500 and exc.code not in _TRANSIENT
        raise DeliveryError(
            f"{what}: HTTP {exc.code} {detail}".strip(), permanent=permanent
        ) from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out, DNS
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{what}: {reason}") from exc


def _robot_answer(raw: bytes, what: str) -> None:
    """WeCom and DingTalk answer 200 with ``errcode``; non-zero is a refusal."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryError(f"{what}: answer is not JSON: {raw[:100]!r}") from exc
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code not in (0, "0"):
        # rate limits (45009 WeCom, 130101 DingTalk) pass; anything else is the request's
        permanent = code not in (45009, 130101, -1)
        message = answer.get("errmsg", "") if isinstance(answer, dict) else ""
        raise DeliveryError(f"{what}: errcode {code} {message}".strip(), permanent=permanent)


def sign_sms(secret: str, app_key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The SMS request's signature: hex HMAC-SHA256 of
    ``"<app_key>\\n<timestamp>\\n<nonce>\\n<sha256 of the body>"`` under the gateway secret."""
    digest = hashlib.sha256(body).hexdigest()
    message = f"{app_key}\n{timestamp}\n{nonce}\n{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class SMSGateway:
    """An HTTP SMS gateway: one JSON POST per phone number, signed.

    The body is ``{"PhoneNumbers", "SignName", "TemplateCode", "TemplateParam", "OutId"}``
    (Aliyun's field names: ``TemplateParam`` a JSON object as text, ``OutId`` the
    idempotency key); headers ``X-Sms-AppKey``, ``X-Sms-Timestamp`` (Unix seconds),
    ``X-Sms-Nonce`` and ``X-Sms-Signature`` (:func:`sign_sms`). The template id is the
    channel's ``templates[<kind>.<audience>]``, else its ``default_template``, whose
    ``content`` parameter carries the whole text. A 2xx answer whose JSON has a ``Code``
    other than ``OK`` is a refusal.
    """

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, notice: Notice) -> None:
        opts = self.config.options
        secret = _secret(self.config, "secret_env")
        templates = opts.get("templates", {}) or {}
        template_id = str(templates.get(notice.template) or opts.get("default_template", ""))
        params = dict(notice.params) | {"content": notice.body}
        body = json.dumps(
            {
                "PhoneNumbers": notice.address,
                "SignName": str(opts.get("sign_name", "")),
                "TemplateCode": template_id,
                "TemplateParam": json.dumps(params, ensure_ascii=False),
                "OutId": notice.idem_key,
            },
            ensure_ascii=False,
        ).encode()
        app_key = str(opts.get("app_key", ""))
        stamp, nonce = str(int(time.time())), secrets.token_hex(8)
        headers = {
            "X-Sms-AppKey": app_key,
            "X-Sms-Timestamp": stamp,
            "X-Sms-Nonce": nonce,
            "X-Sms-Signature": sign_sms(secret, app_key, stamp, nonce, body),
            "Idempotency-Key": notice.idem_key,
        }
        what = f"sms {self.config.name}"
        raw = _post(_url(self.config), body, headers, timeout_s=self.config.timeout_s, what=what)
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            return  # a gateway that answers 2xx without JSON accepted it
        code = answer.get("Code", "OK") if isinstance(answer, dict) else "OK"
        if str(code).upper() not in ("OK", "0"):
            message = answer.get("Message", "") if isinstance(answer, dict) else ""
            busy = "LIMIT" in str(code).upper() or "FLOW" in str(code).upper()
            raise DeliveryError(f"{what}: {code} {message}".strip(), permanent=not busy)


class WeComRobot:
    """A 企业微信 group robot (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``;
    the URL holds the key, so give it as ``url_env``)."""

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, notice: Notice) -> None:
        body = json.dumps(
            {"msgtype": "text", "text": {"content": notice.body}}, ensure_ascii=False
        ).encode()
        what = f"wecom {self.config.name}"
        raw = _post(
            _url(self.config),
            body,
            {"Idempotency-Key": notice.idem_key},
            timeout_s=self.config.timeout_s,
            what=what,
        )
        _robot_answer(raw, what)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature: Base64 of HMAC-SHA256 of ``"<timestamp>\\n<secret>"``
    under the secret (URL-encode it into the query)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


class DingTalkRobot:
    """A 钉钉 group robot (``https://oapi.dingtalk.com/robot/send?access_token=...``), with
    the signing secret (加签) when ``secret_env`` is set."""

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, notice: Notice) -> None:
        url = _url(self.config)
        secret = _secret(self.config, "secret_env")
        if secret:
            stamp = int(time.time() * 1000)
            sign = urllib.parse.quote_plus(dingtalk_sign(secret, stamp))
            url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
        body = json.dumps(
            {"msgtype": "text", "text": {"content": notice.body}, "at": {"isAtAll": False}},
            ensure_ascii=False,
        ).encode()
        what = f"dingtalk {self.config.name}"
        raw = _post(
            url, body, {"Idempotency-Key": notice.idem_key}, timeout_s=self.config.timeout_s,
            what=what,
        )  # fmt: skip
        _robot_answer(raw, what)


class EmailChannel:
    """E-mail to the channel's ``to`` list through an SMTP server."""

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, notice: Notice) -> None:
        opts = self.config.options
        msg = EmailMessage()
        msg["From"] = str(opts["sender"])
        msg["To"] = ", ".join(str(a) for a in opts.get("to", ()))
        msg["Subject"] = text("notify.subject", None, issue_id=notice.issue_id)
        msg["Date"] = formatdate(localtime=False)
        domain = str(opts["sender"]).rpartition("@")[2] or "gridgov"
        # the same notice sent again carries the same Message-ID: mail systems drop repeats
        msg["Message-ID"] = f"<{notice.idem_key}@{domain}>"
        msg["X-Gridgov-Idempotency-Key"] = notice.idem_key
        msg.set_content(notice.body)
        host, port = str(opts["host"]), int(opts.get("port", 25))
        password = _secret(self.config, "password_env")
        what = f"email {self.config.name}"
        try:
            smtp: smtplib.SMTP
            if opts.get("ssl"):
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=self.config.timeout_s, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=self.config.timeout_s)
            with smtp:
                if opts.get("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
                if opts.get("user"):
                    smtp.login(str(opts["user"]), password)
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{what}: login refused ({exc.smtp_code})", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"{what}: {exc.smtp_code} {exc.smtp_error!r}", permanent=permanent
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{what}: {exc}") from exc


#: The signed webhook's headers: Unix seconds, and ``sha256=<hex>`` (:func:`sign_webhook`).
TIMESTAMP_HEADER = "X-Gridgov-Timestamp"
SIGNATURE_HEADER = "X-Gridgov-Signature"
#: How far a signed request's timestamp may be from the receiver's clock.
REPLAY_WINDOW_S = 300.0


class SignatureError(GridgovError):
    """A signed request that must not be believed: no or a wrong signature, or a timestamp
    outside the replay window (``stale``)."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"<timestamp>.<body>"`` under the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_headers(
    secret: str, body: bytes, idempotency_key: str, *, now: float | None = None
) -> dict[str, str]:
    """The headers that sign ``body`` (timestamp, signature, ``Idempotency-Key``): what a
    :class:`SignedWebhook` and the hand-off to a webhook platform send."""
    stamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign_webhook(secret, stamp, body),
        "Idempotency-Key": idempotency_key,
    }


def check_webhook(
    secret: str,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    now: float | None = None,
    window_s: float = REPLAY_WINDOW_S,
) -> None:
    """A receiver's check of a signed request, saying what is wrong.

    Raises
    ------
    SignatureError
        Without timestamp or signature, with a signature that does not match (compared in
        constant time), or (``stale``) with a timestamp more than ``window_s`` from
        ``now``: a captured request cannot be replayed later.
    """
    if not timestamp or not signature:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent = float(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} {timestamp[:20]!r} is not Unix seconds") from None
    if not math.isfinite(sent):
        raise SignatureError(f"{TIMESTAMP_HEADER} {timestamp[:20]!r} is not Unix seconds")
    current = time.time() if now is None else now
    if abs(current - sent) > window_s:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {current - sent:+.0f} s from the receiver's clock, outside"
            f" the {window_s:g} s replay window",
            stale=True,
        )
    if not hmac.compare_digest(sign_webhook(secret, timestamp, body), signature):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")


def verify_webhook(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    window_s: float = REPLAY_WINDOW_S,
) -> bool:
    """Whether a :class:`SignedWebhook` request passes :func:`check_webhook`. Deduplicate
    on ``Idempotency-Key`` as well: inside the window a repeat is a retry of the same
    notice."""
    try:
        check_webhook(secret, timestamp, body, signature, now=now, window_s=window_s)
    except SignatureError:
        return False
    return True


class SignedWebhook:
    """A JSON POST of the notice to any system, signed (see :func:`verify_webhook`).

    The body: ``idempotency_key``, ``issue_id``, ``kind``, ``audience``, ``recipient``,
    ``text``, ``params`` and ``event_at``; headers ``X-Gridgov-Timestamp`` (Unix seconds),
    ``X-Gridgov-Signature`` and ``Idempotency-Key``.
    """

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config

    def send(self, notice: Notice) -> None:
        secret = _secret(self.config, "secret_env")
        body = json.dumps(
            {
                "idempotency_key": notice.idem_key,
                "issue_id": notice.issue_id,
                "kind": notice.kind,
                "audience": notice.audience,
                "recipient": notice.recipient,
                "text": notice.body,
                "params": dict(notice.params),
                "event_at": notice.event_at.isoformat(),
            },
            ensure_ascii=False,
        ).encode()
        _post(
            _url(self.config), body, webhook_headers(secret, body, notice.idem_key),
            timeout_s=self.config.timeout_s,
            what=f"webhook {self.config.name}",
        )  # fmt: skip


_KINDS: dict[str, Any] = {
    "sms": SMSGateway,
    "wecom": WeComRobot,
    "dingtalk": DingTalkRobot,
    "email": EmailChannel,
    "webhook": SignedWebhook,
}


def build_channel(config: ChannelConfig) -> Channel:
    """The adapter of a configured channel."""
    channel: Channel = _KINDS[config.type](config)
    return channel
