"""Each channel against a real local receiver: exact body formats, the Feishu signature,
SMTP with Chinese subjects and bodies, and the delivery log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import socket
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiosmtpd.controller import Controller

from outbound import notification_channels
from outbound.notify import Notifier, NotifySettings, create_channel, list_todos, notify_stall
from outbound.webhooks import WebhookDispatcher
from outbound.webhooks.store import list_deliveries
from scoring.stall.detect import StallReason, reasons_json
from scoring.stall.store import StallEpisode, StallStatus, episode_id_of
from tests.outbound.notify.conftest import MANAGER, OPP, REP, Rig, RobotReceiver
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.errors import BadRequest
from tracker.stores.clickhouse import ClickHouse


def episode(tenant: str) -> StallEpisode:
    onset = utcnow()
    return StallEpisode(
        opportunity_id=OPP,
        episode_id=episode_id_of(tenant, OPP, onset),
        status=StallStatus.OPEN,
        rules=("no_activity",),
        summary="No update for 72 h (last: engagement at 2026-12-01T08:00+00:00)",
        reasons=reasons_json(
            (
                StallReason(
                    "stall.no_update",
                    {"hours": 72, "last": "engagement", "at": "2026-12-01T08:00+00:00"},
                ),
            )
        ),
        owner=REP,
        manager="",
        onset_at=onset,
        detected_at=onset,
    )


async def test_wecom_markdown_and_one_message_one_todo_for_the_same_stall(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    channel = create_channel(
        clickhouse,
        nsettings,
        tenant,
        kind="wecom",
        name="销售群",
        url=robot.url("/cgi-bin/webhook/send?key=k-123"),
    )
    stall = episode(tenant)
    # Twice in a row and from two "schedulers" (two notifiers) at once.
    first = await notify_stall(rig.notifier, tenant, stall)
    other = type(rig.notifier)(nsettings, rig.redis, clickhouse, notify=rig.notifier.ns)
    again = await asyncio.gather(
        notify_stall(rig.notifier, tenant, stall), notify_stall(other, tenant, stall)
    )
    await rig.run()

    assert first.notices == 1 and first.todo_created
    assert all(r.notices == 0 and not r.todo_created for r in again)
    (hit,) = robot.hits
    assert hit.path == "/cgi-bin/webhook/send?key=k-123"
    assert hit.headers["content-type"] == "application/json; charset=utf-8"
    body = hit.json()
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"content"}
    content = body["markdown"]["content"]
    assert content.startswith("**商机停滞：华为技术**")
    assert "**负责人**：张伟" in content
    assert "**原因**：连续 72 小时无更新（最近一次：客户阅读文档，12-01 16:00）" in content
    assert "已加入 李经理 的待办" in content and "@张伟 @李经理" in content
    assert "连续 72 小时".encode() in hit.body  # raw UTF-8
    (todo,) = list_todos(clickhouse, tenant)
    assert todo.manager == MANAGER and todo.owner == REP and todo.title == "华为技术"
    assert todo.todo_id == first.todo_id
    (logged,) = list_deliveries(clickhouse, tenant, channel.channel_id, channel="wecom")
    assert logged.status.value == "delivered" and logged.attempt == 1


async def test_feishu_signed_interactive_card(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    robot.answer = b'{"code":0,"msg":"success","data":{}}'
    create_channel(
        clickhouse,
        nsettings,
        tenant,
        kind="feishu",
        url=robot.url("/open-apis/bot/v2/hook/x"),
        secret="fs-secret-1",
    )
    # A second bot whose check fails: Feishu says so in a 200 answer → failed, not delivered.
    refusing = RobotReceiver(b'{"code":19021,"msg":"sign match fail"}')
    bad = create_channel(clickhouse, nsettings, tenant, kind="feishu", url=refusing.url("/h"))
    before = int(time.time())
    await notify_stall(rig.notifier, tenant, episode(tenant))
    await rig.run()
    refusing.stop()
    (failed,) = list_deliveries(clickhouse, tenant, bad.channel_id, channel="feishu")
    assert failed.status.value == "failed" and "19021" in failed.error
    assert len(refusing.hits) == 1

    (hit,) = robot.hits
    body = hit.json()
    assert set(body) == {"timestamp", "sign", "msg_type", "card"}
    assert body["msg_type"] == "interactive"
    stamp = int(body["timestamp"])
    assert before <= stamp <= int(time.time())
    key = f"{body['timestamp']}\nfs-secret-1".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(body["sign"], expected)
    card = body["card"]
    assert robot.hits[0].path == "/open-apis/bot/v2/hook/x"
    assert card["header"]["title"] == {"tag": "plain_text", "content": "商机停滞：华为技术"}
    assert card["header"]["template"] == "orange"
    assert card["elements"][0]["text"]["tag"] == "lark_md"
    assert "**负责人**：张伟" in card["elements"][0]["text"]["content"]


async def test_slack_text_and_blocks_in_english_for_an_english_channel(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    robot.answer = b"ok"
    create_channel(
        clickhouse, nsettings, tenant, kind="slack", locale="en", url=robot.url("/services/T/B/x")
    )
    await notify_stall(rig.notifier, tenant, episode(tenant))
    await rig.run()
    (hit,) = robot.hits
    body = hit.json()
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "Deal stalled: 华为技术"
    header, section, context = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": body["text"]}}
    assert section["text"]["type"] == "mrkdwn" and "*Owner*: 张伟" in section["text"]["text"]
    assert "@张伟 @李经理" in context["elements"][0]["text"]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_email_over_smtp_one_per_person_with_utf8_headers(
    rig: Rig,
    nsettings: Settings,
    clickhouse: ClickHouse,
    tenant: str,
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    smtp = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "alerts@acme.cn",
        "sender_name": "销售提醒",
        "password": "smtp-pass-do-not-log",
    }
    channel = create_channel(clickhouse, nsettings, tenant, kind="email", smtp=smtp)
    assert "smtp-pass" not in channel.config_sealed and "smtp-pass" not in channel.config_hint
    await notify_stall(rig.notifier, tenant, episode(tenant))
    await rig.run()

    assert sorted(r[0][0] for r in inbox.messages) == [MANAGER, REP]
    raw = dict((r[0][0], r[1]) for r in inbox.messages)[REP]
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0].lower()  # RFC 2047 encoded headers
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == "商机停滞：华为技术"
    assert "销售提醒" in str(mail["From"]) and mail["To"] == REP
    plain = mail.get_body(("plain",))
    page = mail.get_body(("html",))
    assert plain is not None and page is not None
    assert "负责人：张伟" in plain.get_content() and "连续 72 小时" in plain.get_content()
    assert "/n/mute/" in plain.get_content()  # one addressee: a one-click mute link
    assert "<h2>商机停滞：华为技术</h2>" in page.get_content()
    logged = list_deliveries(clickhouse, tenant, channel.channel_id, channel="email")
    assert [x.status.value for x in logged] == ["delivered", "delivered"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "169.254.169.254", "10.0.0.5", "[2002:7f00:1::1]", "64:ff9b::7f00:1"]
)
def test_email_channels_to_internal_relays_are_refused(
    settings: Settings, clickhouse: ClickHouse, tenant: str, host: str
) -> None:
    """The default (empty) allow-list: no SMTP relay inside the network."""
    smtp = {"host": host, "port": 6379, "security": "none", "sender": "a@acme.cn"}
    with pytest.raises(BadRequest) as refused:
        create_channel(clickhouse, settings, tenant, kind="email", smtp=smtp)
    assert refused.value.code == "smtp_private_webhook_address"


async def test_an_alert_holds_no_smtp_conversation_with_a_relay_no_longer_allowed(
    nsettings: Settings,
    ns: NotifySettings,
    clickhouse: ClickHouse,
    redis_client: aioredis.Redis,
    tenant: str,
    smtp_server: tuple[Inbox, int],
) -> None:
    """The relay was allowed when the channel was made; the senders' allow-list no longer
    permits loopback, so each attempt is refused before connecting: nothing reaches the
    listener and the delivery log says why."""
    inbox, port = smtp_server
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "a@acme.cn"}
    channel = create_channel(clickhouse, nsettings, tenant, kind="email", smtp=smtp)
    strict = nsettings.model_copy(
        update={"webhooks": nsettings.webhooks.model_copy(update={"allow_private": []})}
    )
    notifier = Notifier(strict, redis_client, clickhouse, notify=ns)
    dispatcher = WebhookDispatcher(
        strict,
        redis_client,
        clickhouse,
        channels=notification_channels(strict, redis_client, clickhouse, notify=ns),
    )
    await notify_stall(notifier, tenant, episode(tenant))
    await Rig(notifier, dispatcher, redis_client).run()
    assert inbox.messages == []
    logged = list_deliveries(clickhouse, tenant, channel.channel_id, channel="email")
    assert logged and {x.status.value for x in logged} == {"failed"}
    assert {x.error for x in logged} == {"private_webhook_address"}


def test_crm_text_cannot_become_markup_in_wecom_or_feishu() -> None:
    """A deal named like a link, with styling tags and emphasis, arrives as characters."""
    from outbound.notify.formats import feishu_body, wecom_body
    from outbound.notify.messages import Line, Message

    hostile = '[领取红包](https://evil.example) <font color="warning">**急**</font> <@all>'
    message = Message(
        title=f"商机停滞：{hostile}",
        lines=[Line(hostile, "客户"), Line(hostile)],
        locale="zh_CN",
        mentions=["张伟"],
        mute_url="https://ds.example/n/mute/t",
        mute_label="不再提醒",
    )
    content = wecom_body(message)["markdown"]["content"]
    assert not re.search(r"(?<!\\)\]\(https://evil", content)  # no unescaped link
    assert '<font color="warning">' not in content
    assert "\\[领取红包\\]" in content and "&lt;@all&gt;" in content and "\\*\\*急\\*\\*" in content
    assert "[不再提醒](https://ds.example/n/mute/t)" in content  # our own link stays a link
    card = feishu_body(message, "opportunity.stalled")["card"]
    lark = card["elements"][0]["text"]["content"]
    assert "[" not in lark and "<" not in lark and "&#91;领取红包&#93;" in lark
    assert "**客户**：" in lark  # our own emphasis stays
