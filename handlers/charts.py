"""«📊 Biểu đồ» under a round's progress in /tiendo: the round as a picture (formats/charts.py)
with its figures in the caption, for the office within its scope.

Nothing about the round is read before the presser is known to be an office person, and its
campaign within their scope; anyone else gets an alert. The picture is drawn in a worker
thread, so the bot goes on answering meanwhile.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from telegram import InlineKeyboardButton, InputFile, Message, Update

from formats.charts import MAX_BARS, render_chart
from handlers.common import (
    BotContext,
    alert,
    button_of,
    seeing,
)
from messages import label, render
from storage.access import scope_unit_ids
from storage.campaigns import get_campaign
from storage.exports import assemble_chart, read_chart
from storage.reports import get_round
from storage.visibility import may_see_round

PREFIX = "ch:"
PATTERN = r"^ch:\d+$"
CHART_WORKERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart")


def chart_button(round_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(label("progress_chart"), callback_data=f"{PREFIX}{round_id}")


async def show_chart(update: Update, context: BotContext) -> None:
    query = update.callback_query
    round_id = button_of(context).id  # the gate let only the office press it
    actor = await seeing(update, context, may_see_round, round_id)
    if query is None or actor is None:
        return
    info = await get_round(context.db, round_id)
    campaign = await get_campaign(context.db, info.campaign_id) if info else None
    item = next((r for r in campaign.rounds if r.id == round_id), None) if campaign else None
    if campaign is None or item is None:
        await alert(update, "not_allowed_short")
        return
    await query.answer()
    scope = await scope_unit_ids(context.db, actor)
    source = await read_chart(context.db, campaign, item, scope)
    data = assemble_chart(source, context.clock.now(), context.config.timezone)
    picture = await asyncio.get_running_loop().run_in_executor(CHART_WORKERS, render_chart, data)
    units = source.progress.by_unit()
    caption = render(
        "chart_caption",
        round=item,
        campaign=campaign,
        now=context.clock.now(),
        expected=sum(u.expected for u in units),
        answered=sum(u.answered for u in units),
        late=sum(u.late for u in units),
        not_answered=sum(u.not_answered for u in units),
        unregistered=sum(u.unregistered for u in units),
        excused=sum(u.excused for u in units),
        units=len(data.units),
        shown=min(len(data.units), MAX_BARS),
    )
    if isinstance(query.message, Message):
        await query.message.reply_photo(InputFile(picture, filename="bieu_do.png"),
                                        caption=caption)  # fmt: skip
