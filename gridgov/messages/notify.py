"""Messages of notices: dispatch, reminders, escalation alerts, updates to residents, hand-offs (``notify.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
The ``notify.tpl.<kind>.<audience>`` entries are the default texts of the notices
(:mod:`gridgov.notify.rules`); a county replaces any of them in ``[notify.templates]``.
They are short: an SMS of 70 Chinese characters is one message, and what does not fit is
behind the link.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- the notices' default texts, per kind and audience
    "notify.tpl.assigned.staff": _m(
        "【交办】事项{issue_id}（{category}：{summary}）已交{unit}办理，请于{deadline}前受理。{link}",
        "[Assigned] Issue {issue_id} ({category}: {summary}) is now with {unit}; "
        "acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.assigned.group": _m(
        "【交办】事项{issue_id}（{category}：{summary}，{place}）已交{unit}办理，受理时限{deadline}。{link}",
        "[Assigned] Issue {issue_id} ({category}: {summary}, {place}) is now with {unit}; "
        "acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.dispatched.deputy": _m(
        "【代表报到】{place}有{category}事项{issue_id}：{summary}。请于{deadline}前报到受理。{link}",
        "[Report for duty] A {category} issue {issue_id} at {place}: {summary}. "
        "Please acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.dispatched.staff": _m(
        "【派单】事项{issue_id}（{category}：{summary}）已交{unit}，派代表{deputies}，受理时限{deadline}。{link}",
        "[Dispatched] Issue {issue_id} ({category}: {summary}) is with {unit}; deputies "
        "{deputies} dispatched, acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.dispatched.group": _m(
        "【网格吹哨】{place}{category}事项{issue_id}：{summary}。已派代表{deputies}报到，受理时限{deadline}。{link}",
        "[Whistle] {category} issue {issue_id} at {place}: {summary}. Deputies {deputies} "
        "dispatched; acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.transferred.staff": _m(
        "【转办】事项{issue_id}（{category}：{summary}）由{from_unit}转交{unit}办理，请于{deadline}前受理。{link}",
        "[Transferred] Issue {issue_id} ({category}: {summary}) was passed from {from_unit} "
        "to {unit}; acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.transferred.group": _m(
        "【转办】事项{issue_id}（{category}：{summary}）由{from_unit}转交{unit}。{link}",
        "[Transferred] Issue {issue_id} ({category}: {summary}): {from_unit} to {unit}. {link}",
    ),
    "notify.tpl.returned.staff": _m(
        "【退回】事项{issue_id}（{category}：{summary}）由{from_unit}退回{unit}，请于{deadline}前受理。{link}",
        "[Returned] Issue {issue_id} ({category}: {summary}) was returned by {from_unit} to "
        "{unit}; acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.returned.group": _m(
        "【退回】事项{issue_id}（{category}：{summary}）由{from_unit}退回{unit}。{link}",
        "[Returned] Issue {issue_id} ({category}: {summary}): {from_unit} returned it to "
        "{unit}. {link}",
    ),
    "notify.tpl.escalated.staff": _m(
        "【超期上报】事项{issue_id}（{category}：{summary}）在{from_unit}超过{missed}时限，已上报{unit}，请于{deadline}前受理。{link}",
        "[Escalated] Issue {issue_id} ({category}: {summary}) missed its {missed} deadline "
        "at {from_unit} and is now with {unit}; acknowledge by {deadline}. {link}",
    ),
    "notify.tpl.escalated.previous": _m(
        "【已超期】事项{issue_id}（{category}：{summary}）超过{missed}时限，已上报{unit}。{link}",
        "[Overdue] Issue {issue_id} ({category}: {summary}) missed its {missed} deadline "
        "and went up to {unit}. {link}",
    ),
    "notify.tpl.escalated.group": _m(
        "【超期上报】事项{issue_id}（{category}：{summary}）在{from_unit}超过{missed}时限，已上报{unit}。{link}",
        "[Escalated] Issue {issue_id} ({category}: {summary}) missed its {missed} deadline "
        "at {from_unit}; now with {unit}. {link}",
    ),
    "notify.tpl.overdue.staff": _m(
        "【已超期】事项{issue_id}（{category}：{summary}）已超过{missed}时限，请尽快办理。{link}",
        "[Overdue] Issue {issue_id} ({category}: {summary}) is past its {missed} deadline; "
        "act now. {link}",
    ),
    "notify.tpl.overdue.group": _m(
        "【已超期】{unit}事项{issue_id}（{category}：{summary}）已超过{missed}时限。{link}",
        "[Overdue] Issue {issue_id} ({category}: {summary}) at {unit} is past its {missed} "
        "deadline. {link}",
    ),
    "notify.tpl.due_soon.staff": _m(
        "【即将超期】事项{issue_id}（{category}：{summary}）须于{deadline}前{missed}，请抓紧办理。{link}",
        "[Due soon] Issue {issue_id} ({category}: {summary}) must be {missed} by "
        "{deadline}. {link}",
    ),
    "notify.tpl.reopened.staff": _m(
        "【群众不满意】事项{issue_id}（{category}：{summary}）群众评价不满意，已重新办理，请于{deadline}前办结。{link}",
        "[Not satisfied] The resident rated issue {issue_id} ({category}: {summary}) "
        "unsatisfactory; it is open again, resolve by {deadline}. {link}",
    ),
    "notify.tpl.reopened.group": _m(
        "【群众不满意】{unit}事项{issue_id}（{category}：{summary}）评价不满意，已重新办理。{link}",
        "[Not satisfied] Issue {issue_id} ({category}: {summary}) at {unit} was rated "
        "unsatisfactory and is open again. {link}",
    ),
    "notify.tpl.resolved.resident": _m(
        "您反映的{category}问题（编号{issue_id}）已办结：{result}。请凭查询码评价：{link}",
        "The {category} issue you reported ({issue_id}) is resolved: {result}. Rate it with "
        "your tracking code: {link}",
    ),
    "notify.tpl.status.grid_worker": _m(
        "您上报的事项{issue_id}（{category}：{summary}）现为“{status}”，{unit}办理。{result} {link}",
        "Your issue {issue_id} ({category}: {summary}) is now \u201c{status}\u201d at {unit}. "
        "{result} {link}",
    ),
    "notify.tpl.reminded.staff": _m(
        "【催办】事项{issue_id}（{category}：{summary}）请抓紧办理，时限{deadline}。{link}",
        "[Reminder] Please act on issue {issue_id} ({category}: {summary}); due {deadline}. {link}",
    ),
    "notify.tpl.extension_requested.group": _m(
        "【延期申请】{unit}申请延长事项{issue_id}（{category}：{summary}）的办理时限，请审批。{link}",
        "[Extension asked] {unit} asks for more time on issue {issue_id} ({category}: "
        "{summary}); please decide. {link}",
    ),
    "notify.tpl.extension_requested.staff": _m(
        "【延期申请】{unit}申请延长事项{issue_id}（{category}：{summary}）的办理时限（现为{deadline}），请审批。{link}",
        "[Extension asked] {unit} asks for more time on issue {issue_id} ({category}: "
        "{summary}), now due {deadline}; please decide. {link}",
    ),
    "notify.tpl.extension_approved.staff": _m(
        "【延期批准】事项{issue_id}（{category}：{summary}）的延期申请已批准，现时限{deadline}。{link}",
        "[Extension approved] The extension asked for issue {issue_id} ({category}: "
        "{summary}) was approved; now due {deadline}. {link}",
    ),
    "notify.tpl.extension_refused.staff": _m(
        "【延期未批准】事项{issue_id}（{category}：{summary}）的延期申请未获批准，时限仍为{deadline}。{link}",
        "[Extension refused] The extension asked for issue {issue_id} ({category}: "
        "{summary}) was refused; still due {deadline}. {link}",
    ),
    "notify.tpl.handoff_failed.group": _m(
        "【转交失败】事项{issue_id}（{category}：{summary}）未能转交上级平台，请人工处理。{link}",
        "[Hand-off failed] Issue {issue_id} ({category}: {summary}) could not be handed to "
        "the platform above; please act on it. {link}",
    ),
    "notify.tpl.handed_off.group": _m(
        "【转交平台】事项{issue_id}（{category}：{summary}）已由{from_unit}转交{unit}。{link}",
        "[Handed off] Issue {issue_id} ({category}: {summary}) went from {from_unit} to "
        "{unit}. {link}",
    ),
    # --- pieces of the texts
    "notify.phase.acknowledge": _m("受理", "acknowledged"),
    "notify.phase.resolve": _m("办结", "resolved"),
    "notify.subject": _m("【人大代表联络】事项{issue_id}", "[gridgov] Issue {issue_id}"),
    # --- gridgov notify (CLI)
    "notify.cli.run": _m(
        "已规划 {planned} 条事件为 {notices} 条通知，新增 {reminders} 条即将超期提醒；"
        "发送成功 {sent} 条，失败待重试 {failed} 条，转入死信 {dead} 条",
        "planned {planned} events into {notices} notices, queued {reminders} due-soon "
        "reminders; sent {sent}, {failed} failed and will be retried, {dead} dead-lettered",
    ),
    "notify.cli.none": _m("没有通知", "no notices"),
    "notify.cli.none_dead": _m("没有死信", "no dead letters"),
    "notify.cli.row": _m(
        "{notice_id}  {state}  {kind}  {issue_id}  {channel}→{recipient}  第{attempts}次  {error}",
        "{notice_id}  {state}  {kind}  {issue_id}  {channel}→{recipient}  attempts {attempts}"
        "  {error}",
    ),
    "notify.cli.counts": _m(
        "待发送 {pending} 条，已发送 {sent} 条，死信 {dead} 条，待规划事件 {backlog} 条",
        "{pending} pending, {sent} sent, {dead} dead letters, {backlog} events to plan",
    ),
    "notify.cli.retried": _m(
        "通知 {notice_id} 已重新排队，将尽快发送", "notice {notice_id} is queued again"
    ),
    "notify.cli.not_dead": _m(
        "没有编号为 {notice_id} 的死信（用 gridgov notify list --dead 查看）",
        "no dead letter {notice_id} (see gridgov notify list --dead)",
    ),
    "notify.cli.no_channels": _m(
        "设置中没有配置通知渠道（[notify.channels]），通知只会记录、不会发出",
        "no notice channels in the settings ([notify.channels]): notices are recorded, not sent",
    ),
    "notify.cli.stopped": _m("通知发送已停止", "notice delivery stopped"),
    # --- 催办, 延期, hand-off (remind.* and handoff.* keys; notify.* keys go above)
    "remind.action.remind": _m("催办", "Remind"),
    "remind.action.remind_help": _m(
        "提醒当前办理人尽快办理（同一事项 {hours} 小时内只催办一次）。",
        "Press the current handler to act (one reminder per issue every {hours} h).",
    ),
    "remind.action.request_extension": _m("申请延期", "Ask for more time"),
    "remind.action.hours": _m("延长小时数", "Extra hours"),
    "remind.action.approve_extension": _m("批准延期", "Approve the extension"),
    "remind.action.refuse_extension": _m("不批准延期", "Refuse the extension"),
    "remind.action.pending": _m(
        "待审批的延期申请：延长 {hours} 小时，理由：{reason}",
        "Waiting for a decision: {hours} more hours, because: {reason}",
    ),
    "remind.done.remind": _m("已催办。", "Reminder sent."),
    "remind.done.request_extension": _m(
        "已提交延期申请，等待上级审批。", "Extension asked for; waiting for the level above."
    ),
    "remind.done.approve_extension": _m(
        "已批准延期，办结时限已顺延。", "Extension approved: the deadline has moved."
    ),
    "remind.done.refuse_extension": _m(
        "已不批准延期，原办结时限不变。", "Extension refused: the deadline stands."
    ),
    "remind.event.reminded": _m("催办", "Reminded"),
    "remind.event.extension_requested": _m("申请延期", "Extension asked for"),
    "remind.event.extension_approved": _m("批准延期", "Extension approved"),
    "remind.event.extension_refused": _m("不批准延期", "Extension refused"),
    "remind.detail.handlers": _m("被催办人", "Reminded"),
    "remind.detail.hours": _m("延长（小时）", "Extra hours"),
    "remind.detail.due_from": _m("原办结时限", "Old deadline"),
    "remind.detail.due": _m("新办结时限", "New deadline"),
    "remind.detail.request_reason": _m("申请理由", "Reason asked"),
    "handoff.event.handed_off": _m("转交上级平台", "Handed to the platform"),
    "handoff.event.platform_updated": _m("平台办理进展", "Platform update"),
    "handoff.event.handoff_failed": _m("转交平台未成功", "Hand-off refused by the platform"),
    "handoff.detail.platform": _m("平台", "Platform"),
    "handoff.detail.request_id": _m("平台工单号", "Platform request"),
    "handoff.detail.notes": _m("平台说明", "Platform notes"),
    "handoff.detail.agency": _m("承办单位", "Handling agency"),
    "handoff.detail.error": _m("原因", "Why"),
    "handoff.request.description": _m(
        "{description}\n（{county}人大代表联络站转交，事项编号 {issue_id}；{address}）",
        "{description}\n(handed over by the deputy liaison stations of {county}, issue "
        "{issue_id}; {address})",
    ),
    "handoff.cli.off": _m(
        "未配置上级平台（设置 handoff_url），没有要转交或查询的事项。",
        "No platform is configured (setting handoff_url): nothing to hand off or poll.",
    ),
    "handoff.cli.summary": _m(
        "gridgov handoff poll：转交 {submitted} 件，平台进展 {updated} 件，办结 {resolved} 件，"
        "退回 {returned} 件，失败 {failed} 件",
        "gridgov handoff poll: {submitted} handed off, {updated} updated, {resolved} "
        "resolved, {returned} returned, {failed} failed",
    ),
}
