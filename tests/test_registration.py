"""Registration as a user meets it: invite link, shared contact, strangers, impostors."""

from __future__ import annotations

from formats.roster_file import read_roster
from storage.people import invites_for_roster, person_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file

SHARE = "📱 Chia sẻ số điện thoại"


async def load_roster(bot: RunningBot) -> dict[str, str]:
    """Import the basic roster; return each person's invite code by phone."""
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    return {i.person.phone: i.code or "" for i in await invites_for_roster(bot.db, NOW)}


async def test_invite_link_registers_once(bot: RunningBot, telegram: FakeTelegram) -> None:
    codes = await load_roster(bot)
    lan = telegram.user(1001, "Lan")
    await lan.send(f"/start {codes['0912000001']}")
    welcome = await lan.expect("Đăng ký thành công")
    assert "Nguyễn Thị Lan" in welcome.shown
    assert "Trường THCS Tân Phú" in welcome.shown
    assert "Vai trò: Hiệu trưởng" in welcome.shown
    assert welcome.reply_markup == {"remove_keyboard": True}
    await telegram.wait_until(lambda: bool(telegram.commands_for(1001)))
    assert [name for name, _ in telegram.commands_for(1001)] == [
        "start",
        "help",
        "baocao",
        "dienhinh",
        "hoso",
        "tiendo",
        "vangmat",  # a principal marks their staff absent
        "xuat",  # a principal exports their own unit's answers
        "huy",
    ]
    person = await person_by_phone(bot.db, "0912000001")
    assert person is not None and person.telegram_id == 1001

    # The code dies: someone else opening the same link is refused, and offered the contact way.
    other = telegram.user(1002, "Khác")
    await other.send(f"/start {codes['0912000001']}")
    refusal = await other.expect("không hợp lệ hoặc đã được sử dụng")
    assert refusal.buttons() == [[SHARE]]
    # Opening it again herself just greets her.
    await lan.send(f"/start {codes['0912000001']}")
    await lan.expect("Bạn đã đăng ký rồi")


async def test_unknown_invite_code(bot: RunningBot, telegram: FakeTelegram) -> None:
    await load_roster(bot)
    user = telegram.user(1010)
    await user.send("/start khong-co-ma-nay")
    assert (await user.expect("không hợp lệ")).buttons() == [[SHARE]]


async def test_contact_registers_and_matches_any_phone_form(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await load_roster(bot)
    an = telegram.user(1003, "Ân")
    await an.send("/start")
    ask = await an.expect("Chia sẻ số điện thoại")
    assert ask.buttons() == [[SHARE]]
    assert ask.reply_markup is not None
    assert ask.reply_markup["keyboard"][0][0]["request_contact"] is True
    await an.share_contact("84912000002")
    welcome = await an.expect("Đăng ký thành công")
    assert "Trần Văn Ân" in welcome.shown and "Giáo viên" in welcome.shown

    # The roster had 01623000002 (retired prefix); Telegram shares today's number.
    hoa = telegram.user(1004)
    await hoa.share_contact("+84323000002")
    welcome = await hoa.expect("Đăng ký thành công")
    assert "<Lan & Hoa>" in welcome.shown  # escaped in HTML, shown as typed


async def test_stranger_is_refused_and_can_try_again(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await load_roster(bot)
    stranger = telegram.user(1005, "Lạ")
    await stranger.share_contact("0987654321")
    refusal = await stranger.expect("không có trong danh sách")
    assert "liên hệ văn phòng" in refusal.shown
    assert refusal.buttons() == [[SHARE]]
    # Nothing else works for them.
    await stranger.send("/help")
    await stranger.expect("Bạn chưa đăng ký")
    await stranger.send("/danhsach")
    await stranger.expect("Bạn chưa đăng ký")
    await stranger.send("xin chào")
    await stranger.expect("Bạn chưa đăng ký")
    # The office adds them; the same button now works.
    rows = [
        *BASIC_ROWS,
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Người Mới", "gv", "0987654321"),
    ]
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await stranger.share_contact("0987654321")
    await stranger.expect("Đăng ký thành công")


async def test_someone_elses_contact_is_refused(bot: RunningBot, telegram: FakeTelegram) -> None:
    await load_roster(bot)
    impostor = telegram.user(1006, "Mạo")
    await impostor.share_contact("0912000001", user_id=1001)  # Lan's card, forwarded
    await impostor.expect("chính bạn")
    await impostor.share_contact("0912000001", user_id=None)  # a contact typed by hand
    await impostor.expect("chính bạn")
    person = await person_by_phone(bot.db, "0912000001")
    assert person is not None and person.telegram_id is None


async def test_one_account_one_person(bot: RunningBot, telegram: FakeTelegram) -> None:
    codes = await load_roster(bot)
    user = telegram.user(1007)
    await user.send(f"/start {codes['0912000002']}")
    await user.expect("Đăng ký thành công")
    await user.send(f"/start {codes['0912000003']}")
    await user.expect("đã được đăng ký cho một người khác")
    second = await person_by_phone(bot.db, "0912000003")
    assert second is not None and second.telegram_id is None


async def test_left_the_roster(bot: RunningBot, telegram: FakeTelegram) -> None:
    codes = await load_roster(bot)
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS[:-1])), NOW)  # Hoa left
    user = telegram.user(1008)
    await user.send(f"/start {codes['0323000002']}")
    await user.expect("không còn trong danh sách hiện hành")


async def test_admin_is_office_before_any_roster(bot: RunningBot, telegram: FakeTelegram) -> None:
    admin = telegram.user(ADMIN_ID, "Quản trị")
    await admin.send("/start")
    greeting = await admin.expect("quyền Văn phòng")
    assert "/danhsach" in greeting.shown
    await telegram.wait_until(lambda: bool(telegram.commands_for(ADMIN_ID)))
    assert "danhsach" in [name for name, _ in telegram.commands_for(ADMIN_ID)]


async def test_roles_see_their_own_commands(bot: RunningBot, telegram: FakeTelegram) -> None:
    codes = await load_roster(bot)
    teacher = telegram.user(1009)
    await teacher.send(f"/start {codes['0912000002']}")
    await teacher.expect("Đăng ký thành công")
    await teacher.send("/help")
    help_text = (await teacher.expect("hướng dẫn")).shown
    assert "/danhsach" not in help_text and "/huy" in help_text
    await teacher.send("/danhsach")
    await teacher.expect("chỉ dành cho văn phòng")
    await teacher.send("/huy")
    await teacher.expect("Không có thao tác nào")
