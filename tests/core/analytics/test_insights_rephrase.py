"""The optional local language model: loopback only, only figures sent, numbers kept."""

from __future__ import annotations

import json

import httpx
import pytest
from timelygator.core.errors import ValidationError
from timelygator.core.insights.rephrase import check_local, rephrase

TEXT = "Thu 14 Mar 2024: 1h 25m active, 20m 00s less than your usual 1h 45m."
FIGURES = {"current": {"active_s": 5100}}


def model(answer: str, seen: list[dict[str, object]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append({"url": str(request.url), "body": json.loads(request.content)})
        return httpx.Response(200, json={"choices": [{"message": {"content": answer}}]})

    return httpx.MockTransport(handle)


def test_only_an_address_on_this_computer_is_used() -> None:
    assert check_local("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1"
    assert check_local("http://localhost:11434/v1") == "http://localhost:11434/v1"
    assert check_local("http://[::1]:8080/v1") == "http://[::1]:8080/v1"
    for remote in ("https://api.openai.com/v1", "http://192.168.1.5:8080", "ftp://127.0.0.1"):
        with pytest.raises(ValidationError, match=r"this computer|http://"):
            check_local(remote)
    seen: list[dict[str, object]] = []
    with pytest.raises(ValidationError):
        rephrase(TEXT, FIGURES, "http://example.org/v1", transport=model("x", seen))
    assert seen == []  # nothing was sent


def test_the_answer_is_used_when_it_keeps_the_numbers() -> None:
    seen: list[dict[str, object]] = []
    answer = "You were active 1h 25m on Thu 14 Mar 2024, 20m 00s under your usual 1h 45m."
    got = rephrase(TEXT, FIGURES, "http://127.0.0.1:9/v1", "tiny", transport=model(answer, seen))
    assert got == answer
    [call] = seen
    assert call["url"] == "http://127.0.0.1:9/v1/chat/completions"
    body = call["body"]
    assert isinstance(body, dict)
    assert body["model"] == "tiny"
    assert TEXT in body["messages"][1]["content"]


def test_a_changed_number_or_a_failure_keeps_the_template() -> None:
    seen: list[dict[str, object]] = []
    wrong = "You were active 2h on Thu 14 Mar 2024."
    assert rephrase(TEXT, FIGURES, "http://127.0.0.1:9/v1", transport=model(wrong, seen)) == TEXT

    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = httpx.MockTransport(broken)
    assert rephrase(TEXT, FIGURES, "http://127.0.0.1:9/v1", transport=transport) == TEXT
