"""The sandbox in this process: the demo it makes, its page's API, the clock, a restart.

The page itself, in a browser, is tests/test_sandbox_browser.py."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import CallbackContext

from bot import cli
from sandbox.app import GUEST_ID, PERSON_IDS, Sandbox
from sandbox.web import Page
from tests.helpers import VN

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=VN)


class Client:
    """The page's API, as its script uses it."""

    def __init__(self, session: aiohttp.ClientSession, page: Page) -> None:
        self.session = session
        self.base = page.url.rstrip("/")

    async def get(self, path: str) -> Any:
        async with self.session.get(self.base + path) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: Any = None, status: int = 204) -> Any:
        async with self.session.post(self.base + path, json=body or {}) as response:
            assert response.status == status, await response.text()
            return None if status == 204 else await response.json()

    async def chat(self, chat_id: int) -> Any:
        return await self.get(f"/api/chats/{chat_id}")

    async def wait_for(self, chat_id: int, fragment: str, after: int = 0) -> Any:
        """The first message to `chat_id` from the `after`-th on that contains `fragment`."""
        for _ in range(500):
            for message in (await self.chat(chat_id))["messages"][after:]:
                if message["from"] == "bot" and fragment in message["text"]:
                    return message
            await asyncio.sleep(0.01)
        raise AssertionError(f"no message containing {fragment!r} to {chat_id}")

    async def press(self, chat_id: int, message: Any, label: str) -> None:
        for r, row in enumerate(message["buttons"]):
            for c, button in enumerate(row):
                if button["text"] == label:
                    body = {"message_id": message["id"], "row": r, "column": c}
                    await self.post(f"/api/chats/{chat_id}/press", body)
                    return
        raise AssertionError(f"no button {label!r} in {message['buttons']}")


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[Sandbox, Client]]:
    sandbox = Sandbox(tmp_path / "data", start=MONDAY)
    await sandbox.start()
    page = Page(sandbox)
    await page.start(0)
    try:
        await asyncio.wait_for(sandbox.ready.wait(), 20)
        async with aiohttp.ClientSession() as session:
            yield sandbox, Client(session, page)
    finally:
        await page.stop()
        await sandbox.stop()


def people_by_name(state: Any) -> dict[str, Any]:
    return {p["name"]: p for unit in state["units"] for p in unit["people"]}


async def test_the_demo_roster_campaign_and_registrations(
    running: tuple[Sandbox, Client],
) -> None:
    sandbox, client = running
    state = await client.get("/api/state")
    assert state["ready"] is True
    assert [(u["name"], u["depth"]) for u in state["units"]] == [
        ("Sở GD&ĐT Bình Phước", 0),
        ("Phòng GD&ĐT thành phố Đồng Xoài", 1),
        ("Trường THCS Tân Phú", 2),
        ("Trường Tiểu học Tân Xuân", 2),
        ("Phòng GD&ĐT huyện Bù Đăng", 1),
        ("Trường THCS Đức Liễu", 2),
        ("Trường Tiểu học Minh Hưng", 2),
    ]
    school = state["units"][2]["people"]
    # By given name: An, Lan, Ngọc.
    assert [p["name"] for p in school] == ["Trần Văn An", "Nguyễn Thị Lan", "Đỗ Thị Bích Ngọc"]
    assert [p["role"] for p in school] == ["teacher", "principal", "teacher"]
    people = people_by_name(state)
    unregistered = {name for name, p in people.items() if not p["registered"]}
    # The last teacher of each school (by given name) is left for the trainer to register.
    assert unregistered == {"Đỗ Thị Bích Ngọc", "Vũ Thị Hồng", "Điểu Văn Tú", "Hồ Văn Lộc"}
    assert state["guest"]["chat"] == GUEST_ID

    # The campaign: from the plan, two rounds, its deadlines counted from the first Monday.
    assert state["next_deadline"] == {
        "round": 'Xác nhận tham gia, ủng hộ Quỹ "Vì người nghèo"',
        "campaign": "Vì người nghèo - Không để ai bị bỏ lại phía sau",
        "text": "17 giờ 00 ngày 11/12/2026",
    }
    rounds = await sandbox.db.fetchall("SELECT name, kind, deadline, form FROM rounds")
    assert [(r[1], datetime.fromisoformat(r[2]), r[3]) for r in rounds] == [
        ("person", datetime(2026, 12, 11, 17, 0, tzinfo=VN), "custom"),
        ("unit", datetime(2027, 1, 1, 17, 0, tzinfo=VN), "review"),
    ]
    targets = await sandbox.db.fetchall("SELECT text FROM campaign_targets ORDER BY position")
    assert len(targets) == 3 and "trên 50% cơ sở giáo dục phổ thông" in targets[2][0]
    for _ in range(500):  # the outbox sender drains the launch's broadcast
        [delivery] = (await client.get("/api/state"))["deliveries"]
        if delivery["done"]:
            break
        await asyncio.sleep(0.01)
    assert delivery["kind"] == "campaign" and delivery["done"] is True
    assert delivery["counts"] == {"total": 8, "pending": 0, "sent": 8, "failed": 0, "blocked": 0}

    # Each registered principal and teacher got it, with the plan attached.
    lan = people["Nguyễn Thị Lan"]["chat"]
    campaign = await client.wait_for(lan, "PHÁT ĐỘNG PHONG TRÀO THI ĐUA")
    assert campaign["document"]["name"] == "ke_hoach_vi_nguoi_ngheo.pdf"
    assert [[b["text"] for b in row] for row in campaign["buttons"]] == [
        ["✅ Đã nhận", "📝 Báo cáo"]
    ]
    async with client.session.get(
        f"{client.base}/api/files/{campaign['document']['file_id']}"
    ) as response:
        assert (await response.read()).startswith(b"%PDF-")
        assert "ke_hoach_vi_nguoi_ngheo.pdf" in response.headers["Content-Disposition"]
    office = people["Trần Thị Thu Hà"]["chat"]
    await client.wait_for(office, "Đã gửi xong")  # the sender's summary, to the office
    people = people_by_name(await client.get("/api/state"))
    assert people["Trần Thị Thu Hà"]["unread"] == len((await client.chat(office))["messages"]) - 2


async def test_playing_a_person_through_the_page(running: tuple[Sandbox, Client]) -> None:
    sandbox, client = running
    session = client.session
    events: list[Any] = []

    async def listen() -> None:
        async with session.get(client.base + "/api/events") as response:
            async for line in response.content:
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))

    listener = asyncio.create_task(listen())
    try:
        people = people_by_name(await client.get("/api/state"))
        ngoc = people["Đỗ Thị Bích Ngọc"]["chat"]
        person_id = await sandbox.db.fetchval(
            "SELECT id FROM people WHERE full_name = ?", ("Đỗ Thị Bích Ngọc",)
        )
        assert ngoc == PERSON_IDS + person_id  # who plays whom is fixed by the roster
        chat = await client.chat(ngoc)
        assert chat["messages"] == [] and "Bot Thi đua" in chat["description"]
        assert [c["command"] for c in chat["commands"]] == ["start", "help"]

        await client.post(f"/api/chats/{ngoc}/messages", {"text": "/start"})
        await client.wait_for(ngoc, "Chia sẻ số điện thoại")
        keyboard = (await client.chat(ngoc))["keyboard"]
        assert keyboard["rows"] == [[{"text": "📱 Chia sẻ số điện thoại", "contact": True}]]
        assert keyboard["hidden"] is False

        await client.post(f"/api/chats/{ngoc}/contact")
        await client.wait_for(ngoc, "Đăng ký thành công")
        campaign = await client.wait_for(ngoc, "PHÁT ĐỘNG PHONG TRÀO THI ĐUA")
        chat = await client.chat(ngoc)
        contact = chat["messages"][2]
        assert contact["from"] == "user" and contact["contact"]["phone"] == "84904221003"
        assert chat["keyboard"] is None  # the welcome removed it
        assert "baocao" in [c["command"] for c in chat["commands"]]  # the teacher's menu
        state = await client.get("/api/state")
        assert people_by_name(state)["Đỗ Thị Bích Ngọc"]["registered"] is True

        # A press: the answer comes as an event, the message is edited in place.
        await client.press(ngoc, campaign, "✅ Đã nhận")
        for _ in range(300):
            edited = next(
                m for m in (await client.chat(ngoc))["messages"] if m["id"] == campaign["id"]
            )
            if edited["edited"]:
                break
            await asyncio.sleep(0.01)
        assert edited["buttons"][0][0]["text"] == "☑️ Đã xác nhận"
        answers = [e for e in events if e["type"] == "answer"]
        assert answers and answers[-1]["chat"] == ngoc and "Đã ghi nhận lúc" in answers[-1]["text"]
        assert answers[-1]["alert"] is False
        assert any(e["type"] == "chat" and e["chat"] == ngoc for e in events)

        # Unread: counted until the page says the chat was read.
        assert people_by_name(await client.get("/api/state"))["Đỗ Thị Bích Ngọc"]["unread"] >= 3
        await client.post(f"/api/chats/{ngoc}/read")
        assert people_by_name(await client.get("/api/state"))["Đỗ Thị Bích Ngọc"]["unread"] == 0

        # Files the person sends reach the bot as Telegram documents and photos.
        form = aiohttp.FormData(quote_fields=False)  # names in UTF-8, as browsers send them
        form.add_field("as", "document")
        form.add_field("caption", "Biên bản")
        form.add_field(
            "file", "Xin chào".encode(), filename="biên bản.txt", content_type="text/plain"
        )
        async with session.post(f"{client.base}/api/chats/{ngoc}/files", data=form) as response:
            assert response.status == 204
        form = aiohttp.FormData()
        form.add_field("as", "photo")
        form.add_field("file", b"\xff\xd8\xff-jpeg", filename="a.jpg", content_type="image/jpeg")
        async with session.post(f"{client.base}/api/chats/{ngoc}/files", data=form) as response:
            assert response.status == 204
        sent = [m for m in (await client.chat(ngoc))["messages"] if m["from"] == "user"][-2:]
        assert sent[0]["document"]["name"] == "biên bản.txt" and sent[0]["text"] == "Biên bản"
        assert sent[1]["photo"] is not None
        async with session.get(
            f"{client.base}/api/files/{sent[0]['document']['file_id']}"
        ) as response:
            assert await response.read() == "Xin chào".encode()
            assert (
                "filename*=UTF-8''bi%C3%AAn%20b%E1%BA%A3n.txt"
                in response.headers["Content-Disposition"]
            )

        # The guest is not on the roster: sharing their contact is refused by the bot.
        await client.post(f"/api/chats/{GUEST_ID}/contact")
        await client.wait_for(GUEST_ID, "0987654321")
    finally:
        listener.cancel()


async def test_refusals_of_the_page(running: tuple[Sandbox, Client]) -> None:
    _, client = running
    async with client.session.get(client.base + "/api/chats/42") as response:
        assert response.status == 404
    async with client.session.get(client.base + "/api/files/nothing") as response:
        assert response.status == 404
    chat = PERSON_IDS + 1
    refused = await client.post(f"/api/chats/{chat}/messages", {"text": " "}, status=400)
    assert refused == {"error": "empty_text"}
    refused = await client.post(f"/api/chats/{chat}/messages", {"text": "x" * 4097}, status=400)
    assert refused["error"] == "text_too_long"
    refused = await client.post(f"/api/chats/{chat}/press", {"message_id": 999, "row": 0,
                                                            "column": 0}, status=400)  # fmt: skip
    assert refused == {"error": "message_gone"}
    refused = await client.post("/api/clock", {"step": "year"}, status=400)
    assert refused == {"error": "bad_step"}


async def test_moving_the_clock_runs_what_fell_due(running: tuple[Sandbox, Client]) -> None:
    sandbox, client = running
    assert sandbox.application is not None and sandbox.application.job_queue is not None
    ran: list[datetime] = []

    async def job(context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert sandbox.clock is not None
        ran.append(sandbox.clock.now())

    sandbox.application.job_queue.run_once(job, when=timedelta(hours=5))
    moved = await client.post("/api/clock", {"step": "hour"}, status=200)
    assert moved["clock"]["time"] == "09:00" and moved["clock"]["date"] == "07/12/2026"
    assert ran == []
    moved = await client.post("/api/clock", {"step": "day"}, status=200)
    assert moved["clock"]["weekday"] == 1 and moved["clock"]["time"] == "09:00"
    assert len(ran) == 1 and ran[0] >= MONDAY + timedelta(hours=25)  # it ran at the new time

    moved = await client.post("/api/clock", {"step": "deadline"}, status=200)
    assert (moved["clock"]["date"], moved["clock"]["time"]) == ("11/12/2026", "17:01")
    state = await client.get("/api/state")
    assert state["next_deadline"]["round"] == "Báo cáo sơ kết học kỳ I"
    people = people_by_name(state)
    office = people["Trần Thị Thu Hà"]["chat"]
    count = len((await client.chat(office))["messages"])
    await client.post(f"/api/chats/{office}/messages", {"text": "/tiendo"})
    overdue = await client.wait_for(office, "đã quá hạn", after=count)
    assert "Xác nhận tham gia" in overdue["text"]

    await client.post("/api/clock", {"step": "deadline"}, status=200)
    refused = await client.post("/api/clock", {"step": "deadline"}, status=400)
    assert refused == {"error": "no_deadline"}
    assert (await client.get("/api/state"))["next_deadline"] is None


async def test_a_data_folder_is_resumed_not_made_again(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    sandbox = Sandbox(folder, start=MONDAY)
    await sandbox.start()
    try:
        await asyncio.wait_for(sandbox.ready.wait(), 20)
        assert sandbox.telegram is not None
        players = await sandbox.refresh_players()
        lan = next(p for p in players if p.person and p.person.role == "principal")
        for _ in range(500):  # the launch delivered, before stopping
            if all(item.done for item in await sandbox.deliveries()):
                break
            await asyncio.sleep(0.01)
        await sandbox.advance(timedelta(days=2))
        chat = [m.plain_text for m in lan.user.messages()]
        menu = sandbox.telegram.commands_for(lan.chat_id)
    finally:
        await sandbox.stop()
    again = Sandbox(folder)  # no start given: the clock resumes where it was
    await again.start()
    page = Page(again)
    await page.start(0)
    try:
        assert again.ready.is_set() and again.resumed  # nothing to set up, the chats are back
        assert again.clock is not None
        assert again.clock.now() >= MONDAY + timedelta(days=2)
        assert again.clock.now() < MONDAY + timedelta(days=2, minutes=5)
        assert await again.db.fetchval("SELECT COUNT(*) FROM campaigns") == 1
        assert await again.db.fetchval("SELECT COUNT(*) FROM people") == 16
        assert again.telegram is not None
        player = again.player(lan.chat_id)
        assert player is not None
        assert [m.plain_text for m in player.user.messages()] == chat
        assert again.telegram.commands_for(lan.chat_id) == menu
        plan = next(m for m in player.user.messages() if m.document)
        assert plan.document is not None
        name, _, content = again.telegram.file_info(plan.document["file_id"])
        assert name == "ke_hoach_vi_nguoi_ngheo.pdf" and content.startswith(b"%PDF-")
        async with (
            aiohttp.ClientSession() as session,
            session.get(page.url + "api/state") as response,
        ):
            state = await response.json()
        unread = {p["name"]: p["unread"] for unit in state["units"] for p in unit["people"]}
        assert set(unread.values()) == {0}, unread
        # The chat goes on where it was.
        await player.user.send("/tiendo")
        await again.telegram.wait_until(lambda: len(player.user.messages()) > len(chat))
        assert player.user.messages()[-1].message_id > plan.message_id
    finally:
        await page.stop()
        await again.stop()
    database = sqlite3.connect(folder / "thidua.sqlite3")
    try:
        registered = database.execute(
            "SELECT COUNT(*) FROM people WHERE telegram_id IS NOT NULL"
        ).fetchone()
    finally:
        database.close()
    assert registered == (12,)


def test_the_command_line_says_when_its_port_is_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging
    import socket

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # the command sets logging up: put it back
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            code = cli.main(["sandbox", "--port", str(port), "--data", str(tmp_path / "d"),
                             "--no-browser"])  # fmt: skip
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert code == 1
    error = capsys.readouterr().err
    assert f"Không mở được cổng {port}" in error and f"--port {port + 1}" in error
