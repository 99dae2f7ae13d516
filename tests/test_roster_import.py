from __future__ import annotations

import pytest

from formats.roster_file import read_roster
from formats.roster_writer import roster_bytes
from messages import render_text
from storage.db import Database
from storage.people import Registration, person_by_phone, register_by_phone
from storage.roster import apply_import, export_rows, preview_import
from storage.roster_table import RosterFileError
from tests.helpers import BASIC_ROWS, NOW, TWO_DISTRICTS, csv_file


async def dump(db: Database) -> list[tuple[object, ...]]:
    rows = []
    for table in ("units", "people", "invites", "registrations"):
        rows += [
            (table, *tuple(r))
            for r in await db.fetchall(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 (constant names)
        ]
    return rows


async def test_first_import_adds_everything(db: Database) -> None:
    changes = await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    assert (len(changes.units_added), len(changes.people_added)) == (4, 7)
    school = await db.fetchone(
        "SELECT u.name, p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = ?",
        ("THCS-TP",),
    )
    assert school is not None
    assert tuple(school) == ("Trường THCS Tân Phú", "PGD-DX")


async def test_reimport_unchanged_changes_nothing(db: Database) -> None:
    table = read_roster(csv_file(BASIC_ROWS))
    await apply_import(db, table, NOW)
    before = await dump(db)
    changes = await apply_import(db, table, NOW)
    assert not changes.changed
    assert await dump(db) == before


async def test_reimport_updates_by_phone_and_keeps_registration(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    result = await register_by_phone(db, "0912000002", 5001, NOW)
    assert result.outcome is Registration.REGISTERED
    rows = [list(row) for row in BASIC_ROWS]
    rows[3][0:3] = ["TH-TX", "Trường TH Tân Xuân", "PGD-DX"]  # Ân moves school
    rows[3][3] = "Trần Văn Ân (TPCM)"
    del rows[4]  # Bình left
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert [p.full_name for p in changes.people_updated] == ["Trần Văn Ân (TPCM)"]
    assert changes.people_deactivated == ("Đỗ Thị Bình",)
    assert changes.registered_kept == 1
    moved = await person_by_phone(db, "0912000002")
    assert moved is not None and moved.telegram_id == 5001 and moved.unit_code == "TH-TX"
    gone = await person_by_phone(db, "0912000003")
    assert gone is not None and not gone.active  # deactivated, not deleted
    # Coming back in a later file reactivates the same row.
    changes = await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    back = await person_by_phone(db, "0912000003")
    assert back is not None and back.active and back.id == gone.id


async def test_unknown_parent_is_refused_and_nothing_changes(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    before = await dump(db)
    rows = [*BASIC_ROWS, ("TH-X", "Trường X", "PGD-KHONG-CO", "Người X", "gv", "0919000001")]
    with pytest.raises(RosterFileError) as caught:
        await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert [i.code for i in caught.value.issues] == ["unknown_parent"]
    assert caught.value.issues[0].line == 9
    assert await dump(db) == before


async def test_parent_known_from_the_database_is_accepted(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    rows = [*BASIC_ROWS, ("TH-Y", "Trường Y", "PGD-DX", "Người Y", "gv", "0919000002")]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert changes.units_added == ("TH-Y",)


async def test_cycle_through_the_database_is_refused(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    before = await dump(db)
    # The file makes the Sở a child of a school that (in the database) sits below the Sở.
    rows = [("SGD", "Sở GD&ĐT Bình Phước", "THCS-TP", "Lê Văn Sở", "Văn phòng", "0911000001")]
    with pytest.raises(RosterFileError) as caught:
        await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert caught.value.issues[0].code == "unit_cycle"
    assert await dump(db) == before


async def test_preview_writes_nothing(db: Database) -> None:
    changes = await preview_import(db, read_roster(csv_file(BASIC_ROWS)))
    assert len(changes.people_added) == 7
    assert await dump(db) == []


async def test_export_round_trips(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    for xlsx in (False, True):
        data = roster_bytes(await export_rows(db), xlsx=xlsx)
        table = read_roster(data, "out.xlsx" if xlsx else "out.csv")
        changes = await apply_import(db, table, NOW)
        assert not changes.changed, xlsx


async def test_units_left_out_are_deactivated_but_ancestors_kept(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    # A file that only lists one school (its parents come from the database).
    rows = [r for r in BASIC_ROWS if r[0] == "THCS-TP"]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert changes.units_deactivated == ("TH-TX",)


def with_phone(rows: tuple[tuple[str, ...], ...], name: str, phone: str) -> list[tuple[str, ...]]:
    """The rows with one person's phone replaced, as an office corrects it in the file."""
    return [(*row[:5], phone) if row[3] == name else row for row in rows]


async def test_phone_corrected_is_the_same_person(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    await register_by_phone(db, "0912000002", 5001, NOW)
    before = await person_by_phone(db, "0912000002")
    assert before is not None
    # Case and spacing of the name do not matter; the unit and the name do.
    rows = [
        (*row[:3], "trần  văn ân", *row[4:5], "0987000001") if row[3] == "Trần Văn Ân" else row
        for row in BASIC_ROWS
    ]
    table = read_roster(csv_file(rows))
    preview = await preview_import(db, table)
    changes = await apply_import(db, table, NOW)
    assert preview == changes
    assert (changes.people_added, changes.people_deactivated) == ((), ())
    [change] = changes.phone_changes
    assert (change.person_id, change.old_phone, change.new_phone) == (
        before.id,
        "0912000002",
        "0987000001",
    )
    assert change.registered and changes.registered_kept == 1
    after = await person_by_phone(db, "0987000001")
    assert after is not None and after.active
    assert (after.id, after.telegram_id, after.full_name) == (before.id, 5001, "trần văn ân")
    assert await person_by_phone(db, "0912000002") is None
    assert await db.fetchval("SELECT person_id FROM registrations") == before.id
    # The same file again changes nothing.
    assert not (await apply_import(db, table, NOW)).changed


async def test_same_name_twice_in_a_unit_is_not_guessed(db: Database) -> None:
    twins = [
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0914000001"),
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0914000002"),
    ]
    await apply_import(db, read_roster(csv_file([*BASIC_ROWS, *twins])), NOW)
    # Both old numbers gone, one new row of that name: which of the two is it?
    new = ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0987000002")
    changes = await apply_import(db, read_roster(csv_file([*BASIC_ROWS, new])), NOW)
    assert changes.phone_changes == ()
    assert [p.phone for p in changes.people_added] == ["0987000002"]
    assert changes.people_deactivated == ("Nguyễn Văn Hùng", "Nguyễn Văn Hùng")
    [same] = changes.same_names
    assert (same.full_name, same.unit_name, same.existing, same.rows) == (
        "Nguyễn Văn Hùng",
        "Trường TH Tân Xuân",
        2,
        1,
    )


async def test_same_name_one_kept_the_other_is_a_phone_change(db: Database) -> None:
    twins = [
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0914000001"),
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0914000002"),
    ]
    await apply_import(db, read_roster(csv_file([*BASIC_ROWS, *twins])), NOW)
    kept_id = (await person_by_phone(db, "0914000001")).id  # type: ignore[union-attr]
    moved_id = (await person_by_phone(db, "0914000002")).id  # type: ignore[union-attr]
    rows = [*BASIC_ROWS, twins[0], (*twins[1][:5], "0987000003")]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert [c.person_id for c in changes.phone_changes] == [moved_id]
    assert (changes.people_added, changes.people_deactivated, changes.same_names) == ((), (), ())
    kept = await person_by_phone(db, "0914000001")
    assert kept is not None and kept.id == kept_id


async def test_same_name_in_another_unit_is_a_new_person(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    # Ân leaves Tân Phú; a teacher of the same name joins Tân Xuân.
    rows = [r for r in BASIC_ROWS if r[3] != "Trần Văn Ân"]
    rows.append(("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Trần Văn Ân", "gv", "0987000004"))
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW)
    assert changes.phone_changes == ()
    assert [p.phone for p in changes.people_added] == ["0987000004"]
    assert changes.people_deactivated == ("Trần Văn Ân",)


def district_rows() -> list[tuple[str, ...]]:
    """Đồng Xoài's own rows, as its office exports them."""
    return [row for row in BASIC_ROWS if row[0] not in ("SGD",)]


async def unit_id(db: Database, code: str) -> int:
    return int(await db.fetchval("SELECT id FROM units WHERE code = ?", (code,)))


async def outside(db: Database, codes: tuple[str, ...]) -> list[tuple[object, ...]]:
    marks = ",".join("?" * len(codes))
    sql = (
        "SELECT u.code, u.name, u.parent_id, u.active, u.updated_at, p.full_name, p.phone,"  # noqa: S608 (placeholders only)
        " p.role, p.active, p.updated_at FROM units u LEFT JOIN people p ON p.unit_id = u.id"
        f" WHERE u.code IN ({marks}) ORDER BY u.id, p.id"
    )
    return [tuple(row) for row in await db.fetchall(sql, codes)]


async def test_district_import_changes_only_its_subtree(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    untouched = await outside(db, ("SGD", "PGD-BD", "TH-BD"))
    rows = [r for r in district_rows() if r[3] != "Đỗ Thị Bình"]  # Bình left
    rows[0] = ("PGD-DX", "Phòng GD&ĐT Đồng Xoài", "", *rows[0][3:])  # parent left blank
    rows += [
        ("TH-TS", "Trường TH Tân Sơn", "PGD-DX", "Đặng Văn Sơn", "hiệu trưởng", "0916000001"),
        ("TH-TS", "Trường TH Tân Sơn", "PGD-DX", "Cao Thị Thu", "giáo viên", "0916000002"),
    ]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW, await unit_id(db, "PGD-DX"))
    assert changes.scope == "Phòng GD&ĐT Đồng Xoài"
    assert (changes.units_added, changes.units_updated, changes.units_deactivated) == (
        ("TH-TS",),
        (),
        (),
    )
    assert [p.full_name for p in changes.people_added] == ["Đặng Văn Sơn", "Cao Thị Thu"]
    assert changes.people_deactivated == ("Đỗ Thị Bình",)
    assert await outside(db, ("SGD", "PGD-BD", "TH-BD")) == untouched
    district = await db.fetchval(
        "SELECT p.code FROM units u JOIN units p ON p.id = u.parent_id WHERE u.code = 'PGD-DX'"
    )
    assert district == "SGD"  # a blank parent on the office's own unit keeps it where it is
    # A school of its own left out of the file is deactivated, as for the whole roster.
    rows = [r for r in rows if r[0] != "TH-TX"]
    changes = await apply_import(db, read_roster(csv_file(rows)), NOW, await unit_id(db, "PGD-DX"))
    assert changes.units_deactivated == ("TH-TX",)
    assert await outside(db, ("SGD", "PGD-BD", "TH-BD")) == untouched


async def test_district_import_refuses_rows_outside_by_row(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    before = await dump(db)
    rows = [
        *district_rows(),  # lines 2-7
        ("TH-BD", "Trường TH Bù Đăng", "PGD-BD", "Mai Văn Tú", "giáo viên", "0915000003"),  # 8
        ("TH-BD", "Trường TH Bù Đăng", "PGD-BD", "Người Mới", "giáo viên", "0917000001"),  # 9
        ("TH-MOI", "Trường TH Mới", "PGD-BD", "Hồ Văn Mới", "giáo viên", "0917000002"),  # 10
        ("TH-MOI", "Trường TH Mới", "PGD-BD", "Hồ Thị Mới", "giáo viên", "0917000003"),  # 11
        ("TH-TOP", "Trường TH Không Cấp Trên", "", "Hồ Văn Top", "giáo viên", "0917000004"),
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Lý Thị Hạnh", "giáo viên", "0915000002"),
        ("SGD", "Sở GD&ĐT Bình Phước", "", "Lê Văn Sở", "Văn phòng", "0911000001"),  # 14
    ]
    with pytest.raises(RosterFileError) as caught:
        await apply_import(db, read_roster(csv_file(rows)), NOW, await unit_id(db, "PGD-DX"))
    found = [(issue.line, issue.code) for issue in caught.value.issues]
    assert found == [
        (8, "outside_scope"),
        (9, "outside_scope"),
        (10, "parent_outside_scope"),
        (11, "unit_refused"),
        (12, "parent_outside_scope"),
        (13, "phone_outside_scope"),
        (14, "outside_scope"),
    ]
    texts = [render_text("roster_issue", issue=issue) for issue in caught.value.issues]
    assert texts[3] == "Dòng 11: đơn vị TH-MOI không nhập được (xem lỗi ở dòng 10)."
    assert texts[4].startswith("Dòng 12: đơn vị TH-TOP thiếu mã đơn vị cấp trên.")
    assert "ghi mã đơn vị cấp trên là PGD-DX" in texts[4]
    assert await dump(db) == before


async def test_district_office_may_not_move_its_own_unit(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    rows = district_rows()
    rows[0] = ("PGD-DX", "Phòng GD&ĐT Đồng Xoài", "PGD-BD", *rows[0][3:])
    with pytest.raises(RosterFileError) as caught:
        await apply_import(db, read_roster(csv_file(rows)), NOW, await unit_id(db, "PGD-DX"))
    assert [(i.line, i.code) for i in caught.value.issues] == [(2, "scope_root_moved")]
    assert render_text("roster_issue", issue=caught.value.issues[0]) == (
        "Dòng 2: không đổi được cấp trên của Phòng GD&ĐT Đồng Xoài (PGD-DX) sang PGD-BD: việc"
        " này do văn phòng cấp trên làm. Hãy để trống ô mã đơn vị cấp trên hoặc ghi SGD."
    )
