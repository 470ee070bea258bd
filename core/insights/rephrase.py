"""Optional: a local language model rephrases the digest (off unless the user names one).

The endpoint is OpenAI-compatible (``POST {base}/chat/completions``, as llama.cpp's server,
Ollama and LM Studio offer) and must be on this computer: a URL whose host is not a loopback
address is refused before anything is sent. The model gets the template's text and the
figures it was written from (category names and durations, never titles, apps or sites),
and its answer is used only when every number in it is one the template's text has; else,
or on any error or timeout, the template's text stays.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from timelygator.core.errors import ValidationError

if TYPE_CHECKING:  # loaded when a digest is rephrased (0.2 s the app's start does not pay)
    import httpx

log = logging.getLogger(__name__)

TIMEOUT_S = 20.0
_NUMBER = re.compile(r"\d+")
PROMPT = (
    "Rewrite this summary of someone's computer use as two or three friendly sentences "
    "addressed to them. Keep every number exactly as written and add no number."
)


def check_local(url: str) -> str:
    """``url`` without a trailing slash, if its host is this computer; else ValidationError."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(f"{url!r} is not an http:// address of a language model server.")
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if not loopback:
        raise ValidationError(
            "The language model must run on this computer (127.0.0.1, ::1 or localhost): "
            f"{host} is not. Nothing was sent."
        )
    return url.strip().rstrip("/")


def numbers_kept(original: str, rephrased: str) -> bool:
    """Every number in ``rephrased`` is one ``original`` has."""
    return set(_NUMBER.findall(rephrased)) <= set(_NUMBER.findall(original))


def rephrase(
    text: str,
    figures: dict[str, Any],
    url: str,
    model: str = "",
    *,
    timeout: float = TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The digest in the model's words, or ``text`` itself when that cannot be had."""
    import httpx

    base = check_local(url)
    body = {
        "model": model or "local",
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": PROMPT},
            {"role": "user", "content": f"{text}\n\nFigures: {json.dumps(figures)}"},
        ],
    }
    try:
        with httpx.Client(timeout=timeout, transport=transport, trust_env=False) as client:
            resp = client.post(f"{base}/chat/completions", json=body)
            resp.raise_for_status()
            answer = str(resp.json()["choices"][0]["message"]["content"]).strip()
    except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
        log.info("The local language model did not answer (%s): the template is used", exc)
        return text
    if not answer or not numbers_kept(text, answer):
        log.info("The local language model changed a number: the template is used")
        return text
    return answer
