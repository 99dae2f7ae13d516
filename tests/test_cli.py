"""The command line as whoever runs the server meets it."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import signal
import sys
from asyncio.subprocess import Process
from pathlib import Path

import pytest

from bot.cli import main
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.helpers import BASIC_ROWS, HEADER, csv_file

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (no .env) with its own database."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "OFFICE_ADMIN_IDS", "BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    return tmp_path


def db_dump(path: Path) -> bytes:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump()).encode()
    finally:
        conn.close()


def import_file(workdir: Path, data: bytes, name: str = "roster.csv") -> int:
    path = workdir / name
    path.write_bytes(data)
    return main(["roster", "import", str(path)])


def test_import_then_export(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_file(workdir, csv_file(BASIC_ROWS)) == 0
    assert "Người: thêm 7, sửa 0, ngừng 0" in capsys.readouterr().out
    assert main(["roster", "export", str(workdir / "out.xlsx")]) == 0
    assert "Đã xuất 7 người" in capsys.readouterr().out
    assert import_file(workdir, (workdir / "out.xlsx").read_bytes(), "out.xlsx") == 0
    assert "Không có gì thay đổi" in capsys.readouterr().out


def test_phone_correction_is_printed_as_a_phone_change(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_file(workdir, csv_file(BASIC_ROWS)) == 0
    capsys.readouterr()
    rows = [(*row[:5], "0987000001") if row[3] == "Trần Văn Ân" else row for row in BASIC_ROWS]
    assert import_file(workdir, csv_file(rows)) == 0
    out = capsys.readouterr().out
    assert "Người: thêm 0, sửa 0, ngừng 0" in out
    assert "Đổi số điện thoại: 1 người" in out
    assert "• Trần Văn Ân, Trường THCS Tân Phú: 0912•••002 → 0987•••001" in out


BAD_FILES = {
    "empty": (b"", "Tệp trống"),
    "only headers": (csv_file([]), "chỉ có dòng tiêu đề"),
    "wrong delimiter": (csv_file(BASIC_ROWS, delimiter="|"), "không tách được các cột"),
    "missing column": (
        csv_file([r[:5] for r in BASIC_ROWS], header=HEADER[:5]),
        "không tìm thấy cột «số điện thoại»",
    ),
    "windows-1258": ("Mã đơn vị,Họ tên".encode("cp1258", "replace") + b"\n", "UTF-8"),
    "utf-16 without bom": (csv_file(BASIC_ROWS, encoding="utf-16-le"), "UTF-8"),
    "10 MB of garbage": (os.urandom(10 * 1024 * 1024), "UTF-8"),
    "phone with letters": (
        csv_file(
            [*BASIC_ROWS, ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "X", "gv", "09I2345678")]
        ),
        "Dòng 9: số điện thoại '09I2345678' không hợp lệ",
    ),
    "unit cycle": (
        csv_file(
            [
                ("A", "Đơn vị A", "B", "Người A", "gv", "0912000101"),
                ("B", "Đơn vị B", "A", "Người B", "gv", "0912000102"),
            ]
        ),
        "vòng lặp cấp trên: A → B → A",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_leaves_the_database_exactly_as_it_was(
    case: str, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_file(workdir, csv_file(BASIC_ROWS)) == 0
    before = db_dump(workdir / "db.sqlite3")
    capsys.readouterr()
    data, expected = BAD_FILES[case]
    assert import_file(workdir, data) == 1
    out = capsys.readouterr().out
    assert "Danh sách chưa được nhập" in out and expected in out, out
    assert db_dump(workdir / "db.sqlite3") == before


def test_missing_file(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roster", "import", str(workdir / "khong-co.csv")]) == 1
    assert "Không đọc được tệp" in capsys.readouterr().err


def test_run_without_token_names_the_variable(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 2
    assert "TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


async def run_module(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=env["HOME"],
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


def module_env(telegram: FakeTelegram, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": telegram.api_url,
        "TELEGRAM_FILE_URL": telegram.file_url,
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "LOG_LEVEL": "DEBUG",
    }


async def start_module(env: dict[str, str], workdir: Path, log_name: str) -> Process:
    """`python -m bot` in the background in `workdir`, its output into `workdir/log_name`."""
    with (workdir / log_name).open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", env=env, cwd=workdir, stdout=log, stderr=log
        )


async def test_invites_file_asks_telegram_for_the_username(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = module_env(telegram, tmp_path)
    (tmp_path / "ds.csv").write_bytes(csv_file(BASIC_ROWS))
    code, out, err = await run_module("roster", "import", "ds.csv", env=env)
    assert code == 0, err
    code, out, err = await run_module("invites", "links.csv", env=env)
    assert code == 0, err
    assert "Đã ghi 7 người (7 link mời chưa dùng)" in out
    rows = list(csv.reader(io.StringIO((tmp_path / "links.csv").read_text("utf-8-sig"))))
    assert len(rows) == 8
    assert all(row[-1].startswith("https://t.me/thidua_test_bot?start=") for row in rows[1:])


async def test_the_bot_runs_as_a_process(telegram: FakeTelegram, tmp_path: Path) -> None:
    """`python -m bot` answers a user over HTTP, stops cleanly, and never logs the token."""
    env = module_env(telegram, tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        user = telegram.user(4001)
        await user.send("/start")
        await user.expect("Chia sẻ số điện thoại", timeout=20)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    logs = out.decode() + err.decode()
    assert "Application started" in logs
    assert TOKEN.partition(":")[2] not in logs
