"""Which request headers go on to the upstream, which the proxy keeps, which come back."""

from __future__ import annotations

from llmlog.proxy import headers


def test_the_proxys_own_and_hop_by_hop_headers_are_not_forwarded() -> None:
    sent = [
        (b"host", b"127.0.0.1:8178"),
        (b"connection", b"keep-alive, x-hop"),
        (b"x-hop", b"named by connection"),
        (b"keep-alive", b"timeout=5"),
        (b"te", b"trailers"),
        (b"upgrade", b"h2c"),
        (b"proxy-authorization", b"Basic abc"),
        (b"transfer-encoding", b"chunked"),
        (b"content-length", b"12"),
        (b"llmlog-token", b"s3cret"),
        (b"llmlog-tenant-id", b" acme "),
        (b"llmlog-user-id", b""),
        (b"llmlog-trace-id", b"t-1"),
        (b"llmlog-parent-id", b"not-a-uuid"),
        (b"llmlog-unknown", b"dropped too"),
        (b"llmlog-metadata-ticket", b"4411"),
        (b"llmlog-metadata-", b"no key: dropped"),
        (b"authorization", b"Bearer sk-abcdefgh12345678"),
        (b"x-api-key", b"short"),
        (b"anthropic-version", b"2023-06-01"),
        (b"x-stainless-retry-count", b"1"),
        (b"accept-encoding", b"gzip"),
    ]
    found = headers.sort(sent)
    assert found.forward == [
        (b"authorization", b"Bearer sk-abcdefgh12345678"),
        (b"x-api-key", b"short"),
        (b"anthropic-version", b"2023-06-01"),
        (b"x-stainless-retry-count", b"1"),
        (b"accept-encoding", b"gzip"),
    ]
    assert found.context == {"tenant_id": "acme"}  # trimmed; an empty value is absent
    assert found.metadata == {"ticket": "4411"}
    assert (found.trace_id, found.parent_id, found.token) == ("t-1", "not-a-uuid", b"s3cret")
    assert found.secrets == ("sk-abcdefgh12345678",)  # too short a value is no key
    assert found.anthropic is True
    assert found.facts == {b"x-stainless-retry-count": b"1"}


def test_an_answers_hop_by_hop_headers_stay_behind() -> None:
    answered = [
        (b"Content-Type", b"text/event-stream"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Connection", b"keep-alive, X-Hop"),
        (b"X-Hop", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"x-request-id", b"req_1"),
        (b"Content-Encoding", b"gzip"),
    ]
    assert headers.outgoing(answered) == [
        (b"content-type", b"text/event-stream"),
        (b"x-request-id", b"req_1"),
        (b"content-encoding", b"gzip"),
    ]
