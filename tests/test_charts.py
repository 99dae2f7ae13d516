"""«📊 Biểu đồ» under a round in /tiendo: a PNG in a font with every Vietnamese letter, long
names neither overlapping nor cut off, many units cut to the least complete, and the figures
in the caption as /tiendo counts them."""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta

from PIL import Image

from formats.charts import (
    MAX_BARS,
    ChartData,
    ChartUnit,
    draw_chart,
    missing_glyphs,
    render_chart,
    shown_units,
)
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot
from tests.helpers import VN
from tests.test_exports import MIDTERM, START, ready

CHART = "📊 Biểu đồ"
PNG = b"\x89PNG\r\n\x1a\n"
LONG = "Trường Trung học cơ sở và Trung học phổ thông Nguyễn Văn Trỗi xã Nghi Phong huyện"


def test_the_font_has_every_vietnamese_letter() -> None:
    assert missing_glyphs() == []
    brief = "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđơưĐƠƯ"
    assert missing_glyphs(brief) == []
    assert missing_glyphs("漢") == ["漢"]  # the check can fail


def data(units: list[ChartUnit], answered: int = 0) -> ChartData:
    times = [START + timedelta(hours=7 * i) for i in range(answered)]
    return ChartData("Vì người nghèo", "Sơ kết học kỳ I", "person", MIDTERM, START,
                     MIDTERM + timedelta(days=3), units, times, VN)  # fmt: skip


def boxes_overlap(a: object, b: object) -> bool:
    return bool(a.overlaps(b))  # type: ignore[attr-defined]


def test_long_names_neither_overlap_nor_are_cut_off() -> None:
    units = [ChartUnit(f"{LONG} {i}", i % 7, 7) for i in range(40)]
    figure = draw_chart(data(units, answered=100))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    page = figure.bbox
    bars, _ = figure.axes
    labels = [label for label in bars.get_yticklabels() if label.get_text()]
    assert len(labels) == MAX_BARS
    extents = [label.get_window_extent(renderer) for label in labels]
    for extent in extents:  # inside the picture
        assert extent.x0 >= page.x0 - 0.5 and extent.x1 <= page.x1 + 0.5
        assert extent.y0 >= page.y0 - 0.5 and extent.y1 <= page.y1 + 0.5
    for first, second in itertools.pairwise(extents):
        assert not boxes_overlap(first, second)
    assert all(label.get_text().count("\n") <= 1 for label in labels)  # at most two lines
    assert "15 đơn vị hoàn thành thấp nhất trong 40 đơn vị" in bars.get_title(loc="left")


def test_many_units_show_the_least_complete() -> None:
    units = [ChartUnit(f"Trường {i}", i % 10, 10) for i in range(200)]
    least = shown_units(units)
    assert len(least) == MAX_BARS and all(unit.answered == 0 for unit in least)
    assert [unit.name for unit in least][:3] == ["Trường 0", "Trường 10", "Trường 20"]
    png = render_chart(data(units, answered=900))
    assert png.startswith(PNG)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    assert width <= 1300 and height <= 1800  # readable on a phone, within Telegram's limits


def test_an_empty_round_still_draws() -> None:
    png = render_chart(data([]))
    assert png.startswith(PNG)


async def test_office_presses_the_chart(bot: RunningBot, telegram: FakeTelegram) -> None:
    await ready(bot, telegram)
    office = telegram.user(7001)
    await office.send("/tiendo")
    await office.expect("Phát động")
    midterm = await office.expect("Sơ kết")
    await office.expect("Khảo sát")
    await office.expect("Điển hình tiên tiến")  # the quarter's nominations (handlers/progress)
    assert midterm.buttons()[-1] == [CHART]
    await office.press(CHART, midterm)
    photo = await office.expect("Sơ kết", timeout=20)
    assert photo.photo is not None
    png = telegram.file_bytes(photo.photo[-1]["file_id"])
    assert png.startswith(PNG)
    caption = photo.shown
    assert len(caption) <= 1024
    assert "Đã nộp 2 / 3 đơn vị (67 %): đúng hạn 1, nộp muộn 1." in caption
    assert "hiệu trưởng chưa đăng ký 1" in caption
    assert "Hạn nộp: 17 giờ 00 ngày 20/12/2026 (đã quá hạn)." in caption


async def test_the_chart_is_for_the_office(bot: RunningBot, telegram: FakeTelegram) -> None:
    await ready(bot, telegram)
    round_id = await bot.db.fetchval("SELECT id FROM rounds WHERE name = 'Khảo sát'")
    principal = telegram.user(7101)
    await principal.send("/tiendo")
    await principal.expect("Phát động")
    for message in (await principal.expect("Sơ kết"), await principal.expect("Khảo sát")):
        assert not message.has_button(CHART)
    await principal.expect("Điển hình tiên tiến")
    for uid in (7101, 7102):  # a principal, a teacher: a forged press gets an alert
        user = telegram.user(uid)
        await user.press_data(f"ch:{round_id}")
        await telegram.wait_until(lambda user=user: bool(user.answers))  # type: ignore[misc]
        alert = user.answers.pop()
        assert alert["show_alert"] is True and "không có quyền" in alert["text"]
        await user.expect_nothing(0.3)
    # An office outside the campaign's reach: Cửa Lò's office sees the Sở's campaign (it
    # reaches its district), but not a round that does not exist.
    other = telegram.user(7003)
    await other.press_data("ch:999")
    await telegram.wait_until(lambda: bool(other.answers))
    assert other.answers.pop()["show_alert"] is True


def test_long_titles_keep_the_caption_short() -> None:
    from messages import render
    from storage.campaigns import Campaign, CampaignSpec, Round

    item = Round("Sơ kết " * 40, "person", MIDTERM, "short", 1)
    spec = CampaignSpec("Vì người nghèo " * 60, "", None, None, None, "", (), True, (),
                        ("teacher",), None, None, None, (item,))  # fmt: skip
    caption = render(
        "chart_caption", round=item, campaign=Campaign(1, spec, "launched", START, (item,)),
        now=datetime(2027, 1, 1, tzinfo=VN), expected=20_000, answered=12_345, late=2_000,
        not_answered=5_000, unregistered=2_655, excused=0, units=200, shown=MAX_BARS,
    )  # fmt: skip
    assert len(caption) <= 1024
    assert "15 đơn vị hoàn thành thấp nhất trong 200 đơn vị" in caption
