"""/duyet end to end: a Phòng's office approves, rejects with a reason and sends back; the
nominator completes and resends; what the Phòng approves goes up to the Sở; another district's
office sees none of it; checks on the card; publishing reaches everyone once; /tiendo."""

from __future__ import annotations

import pytest

import handlers.nomination_review
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.test_flows import UNKNOWN, alert, count, dies_after
from tests.test_nominations import nominate, press, roster, step


async def nomination_id(bot: RunningBot, name: str) -> int:
    return int(await bot.db.fetchval("SELECT id FROM nominations WHERE nominee_name = ?", (name,)))


async def alerted(telegram: FakeTelegram, user: FakeUser, data: str) -> str:
    count = len(user.answers)
    await user.press_data(data)
    await telegram.wait_until(lambda: len(user.answers) > count)
    answer = user.answers[-1]
    assert answer.get("show_alert")
    return str(answer.get("text") or "")


async def four_nominations(bot: RunningBot, telegram: FakeTelegram) -> None:
    """Tân Phú puts forward Trần Văn Ân and Tổ Toán – Tin, Tân Xuân <Lan & Hoa> (Đồng Xoài);
    TH Bù Đăng (another district) types the name Trần Văn Ân."""
    await roster(bot, telegram)
    await nominate(telegram.user(7101), person="Trần Văn Ân")
    await nominate(telegram.user(7101), collective="Tổ Toán – Tin", position="Tổ chuyên môn")
    await nominate(telegram.user(7201), person="<Lan & Hoa>", position="Nhân viên thư viện")
    hanh = telegram.user(7302)
    await step(hanh, "/dienhinh", "1. Đề nghị cá nhân hay tập thể?")
    await press(hanh, "👤 Cá nhân", "2. Người được đề nghị")
    await step(hanh, "Trần Văn Ân", "3. Chức vụ")  # not on Bù Đăng's roster: typed
    await step(hanh, "Giáo viên", "4. Lĩnh vực")
    await press(hanh, "Giảng dạy", "5. Tóm tắt thành tích")
    await step(hanh, "Dạy giỏi cấp huyện.", "6. Minh chứng")
    await press(hanh, "✔️ Xong", "Xem lại đề nghị")
    await hanh.press("📨 Gửi")
    await hanh.expect("Đã gửi đề nghị")


async def open_queue(user: FakeUser, count: str) -> SentMessage:
    """/duyet: the heading, then the oldest card."""
    await user.send("/duyet")
    await user.expect(count)
    return await user.expect("Đề nghị điển hình tiên tiến quý III/2026")


async def test_review_send_back_roll_up_and_scope(bot: RunningBot, telegram: FakeTelegram) -> None:
    await four_nominations(bot, telegram)
    an = await nomination_id(bot, "Trần Văn Ân")
    # An earlier recognition of the same person (quý II/2026) is flagged, not blocking.
    await bot.db.write(
        "INSERT INTO nominations (unit_id, year, quarter, kind, person_id, nominee_name,"
        " nominee_key, position, field, summary, nominated_by_telegram, status,"
        " review_unit_id, queued_at, created_at, updated_at) SELECT unit_id, 2026, 2, kind,"
        " person_id, nominee_name, nominee_key, position, field, 'Quý trước', 7101, 'approved',"
        " review_unit_id, queued_at, created_at, updated_at FROM nominations WHERE id = ?",
        (an,),
    )
    phong = telegram.user(7002)  # Phạm Thị Phòng, Phòng Đồng Xoài
    card = await open_queue(phong, "Có 3 đề nghị đang chờ bạn duyệt")
    assert "Trần Văn Ân" in card.shown and "Trường THCS Tân Phú" in card.shown
    assert "Đã được công nhận quý II/2026" in card.shown
    # Bù Đăng's school also put the name forward: counted, not named outside the scope.
    assert "1 đơn vị ngoài phạm vi của bạn" in card.shown and "Bù Đăng" not in card.shown
    assert "Gửi đề nghị — Nguyễn Thị Lan (Trường THCS Tân Phú)" in card.shown  # the history
    assert card.buttons()[:2] == [["✅ Duyệt", "❌ Không duyệt"], ["↩️ Yêu cầu bổ sung"]]
    await phong.press("📎 Tệp minh chứng (1)", card)
    sent_file = await phong.expect("minh_chung_0.pdf")
    assert sent_file.document is not None

    await phong.press("✅ Duyệt", card)
    done = await phong.expect("đề nghị lên Sở GD&ĐT Bình Phước")
    assert "Trần Văn Ân" in done.shown
    lan = telegram.user(7101)
    forwarded = await lan.expect("Đề nghị đã được duyệt", timeout=10)
    assert "Văn phòng Phòng GD&ĐT Đồng Xoài — Phạm Thị Phòng" in forwarded.shown
    assert "đề nghị lên Sở GD&ĐT Bình Phước" in forwarded.shown

    second = await phong.expect("Tổ Toán – Tin")  # the next card comes by itself
    await phong.press("❌ Không duyệt", second)
    await phong.expect("lý do không duyệt")
    await step(phong, "ok", "quá ngắn")  # a rejection needs a reason
    await step(phong, "Chưa có minh chứng về sáng kiến được công nhận.", "Đã ghi không duyệt")
    rejected = await lan.expect("Đề nghị không được duyệt", timeout=10)
    assert "Chưa có minh chứng về sáng kiến" in rejected.shown
    assert "Phạm Thị Phòng" in rejected.shown

    third = await phong.expect("&lt;Lan &amp; Hoa&gt;")
    await phong.press("↩️ Yêu cầu bổ sung", third)
    await phong.expect("nội dung cần bổ sung")
    await step(phong, "Ghi rõ số lượt bạn đọc của thư viện xanh.", "Đã gửi yêu cầu bổ sung")
    await phong.expect("không còn đề nghị nào chờ bạn duyệt")
    minh = telegram.user(7201)
    back = await minh.expect("yêu cầu bổ sung đề nghị", timeout=10)
    assert "Văn phòng Phòng GD&ĐT Đồng Xoài — Phạm Thị Phòng" in back.shown
    assert "số lượt bạn đọc" in back.shown
    await minh.press("✏️ Bổ sung đề nghị", back)
    summary = await minh.expect("Xem lại đề nghị")
    assert "số lượt bạn đọc" in summary.shown and "Nhân viên thư viện" in summary.shown
    await press(minh, "✏️ Sửa", "Chọn phần cần sửa")
    await press(minh, "Tóm tắt thành tích", "5. Tóm tắt thành tích")
    await step(minh, "Thư viện xanh đón 3.200 lượt bạn đọc trong quý.", "Xem lại đề nghị")
    await minh.press("📨 Gửi")
    await minh.expect("Đã gửi lại đề nghị")
    resent = await phong.expect("Đề nghị đã được bổ sung", timeout=10)
    assert "Hoàng Văn Minh" in resent.shown
    await phong.press("📄 Xem đề nghị", resent)
    again = await phong.expect("3.200 lượt bạn đọc")
    assert "Yêu cầu bổ sung — Phòng GD&ĐT Đồng Xoài — Phạm Thị Phòng" in again.shown
    assert "Bổ sung, gửi lại — Hoàng Văn Minh" in again.shown
    await phong.press("✅ Duyệt", again)
    await phong.expect("đề nghị lên Sở")
    await phong.expect("không còn đề nghị nào")
    await minh.expect("Đề nghị đã được duyệt", timeout=10)

    # Another district's office: its own school's nomination only, and an alert for the rest.
    dang = telegram.user(7301)
    other = await open_queue(dang, "Có 1 đề nghị")
    assert "Trường TH Bù Đăng" in other.shown and "Trường THCS Tân Phú" not in other.shown
    # A typed name is matched by name: flagged as the same person or a namesake.
    assert "công nhận quý II/2026 (trong 4 quý gần đây; cùng người hoặc trùng họ tên)" in (
        other.shown
    )
    for data in (f"dy:o:{an}", f"dy:a:{an}", f"dy:f:{an}", f"dy:r:{an}"):
        assert "không có quyền" in await alerted(telegram, dang, data)
    await dang.expect_nothing(0.2)
    principal = telegram.user(7302)  # a principal presses an office's button
    assert "không có quyền" in await alerted(telegram, principal, f"dy:a:{an}")
    assert "không có quyền" in await alerted(telegram, principal, f"dh:w:{an}")

    # Roll-up: the Sở sees what the Phòng approved, as its proposal, and decides.
    so = telegram.user(7001)
    top = await open_queue(so, "Có 2 đề nghị")
    assert "Trần Văn Ân" in top.shown
    assert "Phòng GD&ĐT Đồng Xoài đề nghị" in top.shown
    assert "Trường TH Bù Đăng" in top.shown  # the Sở sees every district: named
    await so.press("✅ Duyệt", top)
    await so.expect("được công nhận điển hình tiên tiến quý III/2026")
    final = await lan.expect("Đề nghị đã được công nhận", timeout=10)
    assert "Văn phòng Sở GD&ĐT Bình Phước — Lê Văn Sở" in final.shown
    statuses = await bot.db.fetchall("SELECT nominee_name, status FROM nominations ORDER BY id")
    assert [tuple(r) for r in statuses][:4] == [
        ("Trần Văn Ân", "approved"),
        ("Tổ Toán – Tin", "rejected"),
        ("<Lan & Hoa>", "pending"),  # at the Sở now
        ("Trần Văn Ân", "pending"),  # Bù Đăng's, at its Phòng
    ]
    events = await bot.db.fetchall(
        "SELECT event FROM nomination_history WHERE nomination_id = ? ORDER BY id",
        (await nomination_id(bot, "<Lan & Hoa>"),),
    )
    assert [e[0] for e in events] == ["created", "returned", "edited", "approved"]


async def test_progress_and_publishing(bot: RunningBot, telegram: FakeTelegram) -> None:
    await four_nominations(bot, telegram)
    phong, so = telegram.user(7002), telegram.user(7001)
    card = await open_queue(phong, "Có 3 đề nghị")
    await phong.press("✅ Duyệt", card)
    await phong.expect("đề nghị lên Sở")
    second = await phong.expect("Tổ Toán – Tin")
    await phong.press("❌ Không duyệt", second)
    await phong.expect("lý do")
    await step(phong, "Trùng với đề nghị quý trước.", "Đã ghi không duyệt")
    await phong.expect("&lt;Lan &amp; Hoa&gt;")
    lan = telegram.user(7101)
    await lan.expect("Đề nghị đã được duyệt", timeout=10)
    await lan.expect("Đề nghị không được duyệt", timeout=10)

    await phong.send("/tiendo")
    await phong.expect("Chưa có phong trào nào")
    progress = await phong.expect("Điển hình tiên tiến quý III/2026")
    assert "Đơn vị đã đề nghị: 2/2" in progress.shown
    assert "Trường THCS Tân Phú: ⏳ 1 chờ duyệt · ❌ 1 không duyệt" in progress.shown
    assert "Trường TH Tân Xuân: ⏳ 1 chờ duyệt" in progress.shown
    assert "Bù Đăng" not in progress.shown
    await lan.send("/tiendo")
    await lan.expect("Chưa có phong trào nào")
    mine = await lan.expect("đơn vị của bạn")
    assert "Tổ Toán – Tin" in mine.shown and "Trùng với đề nghị quý trước" in mine.shown
    assert mine.buttons() == [["↩️ Rút đề nghị: Trần Văn Ân"]]  # only what is still open

    top = await open_queue(so, "Có 1 đề nghị")  # Ân, proposed by Đồng Xoài
    await so.press("✅ Duyệt", top)
    await so.expect("được công nhận")
    await so.expect("không còn đề nghị nào chờ bạn duyệt")
    await lan.expect("Đề nghị đã được công nhận", timeout=10)

    # The Sở publishes quý III to everyone: each person gets it exactly once.
    await so.press("📣 Nhân rộng điển hình")
    quarters = await so.expect("chọn quý")
    assert quarters.buttons() == [["Quý III/2026 — 1 gương"]]
    await press(so, "Quý III/2026 — 1 gương", "tới ai?")
    await so.press("Tất cả cán bộ, giáo viên trong phạm vi")
    await so.expect("Xem trước")
    preview = await so.expect("GƯƠNG ĐIỂN HÌNH TIÊN TIẾN QUÝ III/2026")
    assert "Trần Văn Ân" in preview.shown and "Trường THCS Tân Phú" in preview.shown
    assert "Giảng dạy" in preview.shown and "Chiến sĩ thi đua" in preview.shown
    assert "Tổ Toán – Tin" not in preview.shown and "Lan &amp; Hoa" not in preview.shown
    count = await so.expect("Số người nhận: 10")
    send = count.button_data("📨 Gửi")
    assert send.startswith("dy:ps:")  # the draft's token
    answered = len(so.answers)
    await so.press("📨 Gửi", count)
    await telegram.wait_until(lambda: len(so.answers) > answered)
    answered = len(so.answers)
    await so.press_data(send, count)  # pressed twice: sent once, the second press told so
    await telegram.wait_until(lambda: len(so.answers) > answered)
    assert so.answers[answered]["show_alert"]
    assert "đã được gửi hoặc đã hủy" in str(so.answers[answered]["text"])
    everyone = (7001, 7002, 7101, 7102, 7103, 7201, 7202, 7301, 7302, 7303)

    def published(uid: int) -> list[SentMessage]:
        # The office's own chat also holds the preview (before the count message).
        after = count.message_id if uid == 7001 else 0
        return [m for m in telegram.user(uid).messages()
                if "GƯƠNG ĐIỂN HÌNH" in m.shown and m.message_id > after]  # fmt: skip

    # The outbox's summary comes once every row has its outcome.
    await telegram.wait_until(
        lambda: any("Đã gửi xong: Gương điển hình" in m.shown for m in so.messages()),
        timeout=10,
    )
    assert any("Đã gửi 10 / 10" in m.shown for m in so.messages())
    for uid in everyone:
        assert len(published(uid)) == 1, uid
    rows = await bot.db.fetchall(
        "SELECT person_id, COUNT(*) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
        " WHERE b.payload LIKE '%GƯƠNG ĐIỂN HÌNH%' GROUP BY person_id"
    )
    assert len(rows) == 10 and all(r[1] == 1 for r in rows)
    assert await bot.db.fetchval("SELECT COUNT(*) FROM nomination_publications") == 1
    published = await bot.db.fetchval(
        "SELECT COUNT(*) FROM nomination_history WHERE event = 'published'"
    )
    assert published == 1

    # The Phòng publishes what it approved to its district only.
    while len(phong.messages()) > phong._cursor:  # the publication it received
        await phong.expect()
    await phong.send("/duyet")
    await phong.expect("đang chờ bạn duyệt")
    await phong.expect("&lt;Lan &amp; Hoa&gt;")
    await press(phong, "📣 Nhân rộng điển hình", "chọn quý")
    await press(phong, "Quý III/2026 — 1 gương", "tới ai?")
    await phong.press("Tất cả cán bộ, giáo viên trong phạm vi")
    await phong.expect("Xem trước")
    await phong.expect("Phòng GD&ĐT Đồng Xoài")
    await phong.expect("Số người nhận: 6")


async def test_a_publication_fits_one_message(bot: RunningBot, telegram: FakeTelegram) -> None:
    """Forty approved examples with the longest summaries: one message of at most 4,096
    characters, the rest counted."""
    await roster(bot, telegram)
    unit = await bot.db.fetchval("SELECT id FROM units WHERE code = 'THCS-TP'")
    summary = "Đổi mới phương pháp dạy học, ứng dụng chuyển đổi số. " * 38
    for index in range(40):
        await bot.db.write(
            "INSERT INTO nominations (unit_id, year, quarter, kind, nominee_name, nominee_key,"
            " position, field, summary, nominated_by_telegram, status, review_unit_id,"
            " queued_at, created_at, updated_at) VALUES (?, 2026, 3, 'individual', ?, ?,"
            " 'Giáo viên', 'sang_kien', ?, 7101, 'approved', 1, '2026-09-05T08:00:00+00:00',"
            " '2026-09-05T08:00:00+00:00', '2026-09-05T08:00:00+00:00')",
            (unit, f"Giáo viên số {index + 1}", f"giaovienso{index + 1}", summary[:2000]),
        )
    so = telegram.user(7001)
    await step(so, "/duyet", "Không có đề nghị nào đang chờ bạn duyệt")
    await press(so, "📣 Nhân rộng điển hình", "chọn quý")
    await press(so, "Quý III/2026 — 40 gương", "tới ai?")
    await so.press("Tất cả cán bộ, giáo viên trong phạm vi")
    await so.expect("Xem trước")
    preview = await so.expect("GƯƠNG ĐIỂN HÌNH TIÊN TIẾN QUÝ III/2026")
    assert len(preview.shown.encode("utf-16-le")) // 2 <= 4096
    assert "1. Giáo viên số 1 —" in preview.shown
    assert "gương khác." in preview.shown
    await so.expect("Số người nhận: 10")


# ---- one transaction per decision and publication -----------------------------------------------


async def test_a_rejection_that_dies_after_its_commit_tells_the_nominator_once(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    await nominate(lan, person="Trần Văn Ân")
    phong = telegram.user(7002)
    card = await open_queue(phong, "Có 1 đề nghị")
    await phong.press("❌ Không duyệt", card)
    await phong.expect("lý do không duyệt")
    dies_after(monkeypatch, handlers.nomination_review, "decide")
    await phong.send("Chưa có minh chứng.")
    await phong.expect("bot vừa gặp lỗi")
    monkeypatch.undo()
    await bot.restart()
    # The decision, its notice and the end of the reason's flow: one transaction.
    assert await bot.db.fetchval("SELECT status FROM nominations") == "rejected"
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'duyet'") == 0
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    notice = await lan.expect("Đề nghị không được duyệt", timeout=10)
    assert "Chưa có minh chứng." in notice.shown
    await phong.send("Một lý do nữa")  # not taken as another reason
    await phong.expect(UNKNOWN)
    await lan.expect_nothing(within=0.3)
    events = await bot.db.fetchall("SELECT event FROM nomination_history ORDER BY id")
    assert [e[0] for e in events] == ["created", "rejected"]


async def test_a_lost_reason_draft_is_said_so(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    await nominate(telegram.user(7101), person="Trần Văn Ân")
    phong = telegram.user(7002)
    card = await open_queue(phong, "Có 1 đề nghị")
    await phong.press("↩️ Yêu cầu bổ sung", card)
    await phong.expect("nội dung cần bổ sung")
    await bot.db.write("UPDATE drafts SET data = '{}' WHERE flow = 'duyet'")
    await phong.send("Bổ sung ảnh trao giải")
    lost = await phong.expect("Không còn lý do nào đang soạn dở")
    assert "↩️ Yêu cầu bổ sung" in lost.shown
    assert await bot.db.fetchval("SELECT status FROM nominations") == "pending"
    await telegram.user(7101).expect_nothing(within=0.3)


async def publication_preview(bot: RunningBot, telegram: FakeTelegram) -> SentMessage:
    """One approved example of quý III; the Sở's office at the preview for everyone."""
    await roster(bot, telegram)
    await nominate(telegram.user(7101), person="Trần Văn Ân")
    await bot.db.write("UPDATE nominations SET status = 'approved'")
    so = telegram.user(7001)
    await step(so, "/duyet", "Không có đề nghị nào đang chờ bạn duyệt")
    await press(so, "📣 Nhân rộng điển hình", "chọn quý")
    await press(so, "Quý III/2026 — 1 gương", "tới ai?")
    await so.press("Tất cả cán bộ, giáo viên trong phạm vi")
    await so.expect("Xem trước")
    await so.expect("GƯƠNG ĐIỂN HÌNH TIÊN TIẾN QUÝ III/2026")
    return await so.expect("Số người nhận: 10")


async def test_a_publication_that_dies_after_its_commit_is_sent_once(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = await publication_preview(bot, telegram)
    so = telegram.user(7001)
    dies_after(monkeypatch, handlers.nomination_review, "publish")
    await so.press("📨 Gửi", preview)
    await so.expect()  # the progress message, sent before the publication
    await so.expect("bot vừa gặp lỗi")
    monkeypatch.undo()
    await bot.restart()
    await telegram.wait_until(
        lambda: any("Đã gửi xong: Gương điển hình" in m.shown for m in so.messages()),
        timeout=10,
    )
    answered = len(so.answers)
    await so.press("📨 Gửi", preview)  # the old preview's button, after the restart
    assert "đã được gửi hoặc đã hủy" in await alert(telegram, so, answered)
    await so.press("✖️ Hủy", preview)  # nor can it be cancelled
    assert "đã được gửi hoặc đã hủy" in await alert(telegram, so, answered + 1)
    assert await count(bot, "SELECT COUNT(*) FROM broadcasts") == 1
    assert await count(bot, "SELECT COUNT(*) FROM nomination_publications") == 1
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    for uid in (7002, 7101, 7102, 7303):
        got = [m for m in telegram.user(uid).messages() if "GƯƠNG ĐIỂN HÌNH" in m.shown]
        assert len(got) == 1, uid


async def test_an_older_preview_cannot_publish(bot: RunningBot, telegram: FakeTelegram) -> None:
    """Choosing the audience again makes a new preview: the first one's «Gửi» would send to
    an audience the office no longer sees, so it says so and sends nothing."""
    first = await publication_preview(bot, telegram)
    so = telegram.user(7001)
    await so.press("Tất cả cán bộ, giáo viên trong phạm vi")
    await so.expect("Xem trước")
    await so.expect("GƯƠNG ĐIỂN HÌNH TIÊN TIẾN QUÝ III/2026")
    latest = await so.expect("Số người nhận: 10")
    assert first.button_data("📨 Gửi") != latest.button_data("📨 Gửi")
    answered = len(so.answers)
    await so.press("📨 Gửi", first)
    assert "đã được gửi hoặc đã hủy" in await alert(telegram, so, answered)
    assert await count(bot, "SELECT COUNT(*) FROM broadcasts") == 0
    await so.press("📨 Gửi", latest)
    await telegram.wait_until(
        lambda: any("Đã gửi xong: Gương điển hình" in m.shown for m in so.messages()),
        timeout=10,
    )
    assert await count(bot, "SELECT COUNT(*) FROM broadcasts") == 1
