"""Messages of grid workers' and deputies' phone screens (``field.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- the frame and page titles
    "field.nav.label": _m("页面导航", "Pages"),
    "field.nav.raise": _m("吹哨", "Raise"),
    "field.nav.mine": _m("我的上报", "My issues"),
    "field.nav.duty": _m("待报到", "To report for"),
    "field.nav.history": _m("我的记录", "My record"),
    "field.nav.account": _m("我的账号", "Account"),
    "field.title.raise": _m("网格吹哨", "Raise an issue"),
    "field.title.mine": _m("我的上报", "Issues I raised"),
    "field.title.duty": _m("代表报到", "Report for duty"),
    "field.title.history": _m("我的记录", "My record"),
    "field.title.issue": _m("事项详情", "Issue"),
    "field.no_js": _m(
        "此页面需要启用浏览器的 JavaScript 才能上报和办理。",
        "This page needs JavaScript switched on in the browser to send anything.",
    ),
    # --- 吹哨 (the grid worker raises an issue)
    "field.raise.place": _m("问题地点", "Where"),
    "field.raise.map": _m(
        "我负责的网格地图：点按或拖动图钉标出问题地点",
        "Map of my grids: tap or drag the pin to where the problem is",
    ),
    "field.raise.locate": _m("定位到我的位置", "Locate me"),
    "field.raise.place_help": _m(
        "点“定位到我的位置”，或在地图上点按、拖动图钉标出问题地点。",
        "Tap “Locate me”, or tap the map or drag the pin to where the problem is.",
    ),
    "field.raise.locating": _m("正在定位……", "Finding your location…"),
    "field.raise.located": _m(
        "已定位（精度约 {accuracy} 米），可拖动图钉微调。",
        "Located (to about {accuracy} m); drag the pin to adjust.",
    ),
    "field.raise.locate_failed": _m(
        "无法定位：{reason}。请在地图上点按标出地点。",
        "Could not locate you: {reason}. Tap the map where the problem is.",
    ),
    "field.raise.no_geolocation": _m(
        "此浏览器不能定位，请在地图上点按标出地点。",
        "This browser cannot locate you; tap the map where the problem is.",
    ),
    "field.raise.pin_moved": _m("已按图钉位置记录地点。", "The place is where the pin is."),
    "field.raise.in_grid": _m("图钉位于：{grid}", "The pin is in: {grid}"),
    "field.raise.outside": _m(
        "图钉不在您负责的网格内，请移到您的网格中。",
        "The pin is outside your grids; move it into one of them.",
    ),
    "field.raise.station": _m("联络站：{name}", "Station: {name}"),
    "field.raise.category": _m("问题类别", "Category"),
    "field.raise.description": _m("问题描述", "What is the problem?"),
    "field.raise.description_hint": _m(
        "发生了什么、影响多少群众、需要谁来解决",
        "What happened, who is affected, who should fix it",
    ),
    "field.raise.address": _m("地点说明（可不填）", "The place in words (optional)"),
    "field.raise.address_hint": _m("如：团华村三组桥头", "e.g. the bridge of group 3"),
    "field.raise.nearby": _m(
        "附近 {radius} 米内已有同类问题", "Open issues of this kind within {radius} m"
    ),
    "field.raise.nearby_help": _m(
        "如果是同一件事，请打开该事项跟进，不要重复上报。",
        "If it is the same problem, open that issue instead of raising it again.",
    ),
    "field.raise.nearby_item": _m(
        "相距约 {distance} 米 · {status}", "{distance} m away · {status}"
    ),
    "field.raise.nearby_open": _m("是同一件事，打开它", "Same problem: open it"),
    "field.raise.send": _m("吹哨上报", "Raise it"),
    "field.raise.discard": _m("放弃草稿", "Discard the draft"),
    "field.raise.discard_confirm": _m(
        "确定放弃这份草稿吗？已填写的内容和照片将被删除。",
        "Discard this draft? What you entered and the photos will be deleted.",
    ),
    "field.raise.draft_saved": _m("草稿已保存在本机（{at}）。", "Draft kept on this phone ({at})."),
    "field.raise.draft_restored": _m("已恢复 {at} 保存的草稿。", "The draft kept at {at} is back."),
    "field.raise.draft_pending": _m(
        "这份草稿上次未确认发送成功，内容已锁定，联网后将用同一编号重新发送，不会重复上报。",
        "This draft was not confirmed as sent; it is locked and will be sent again under "
        "the same key once online, never filed twice.",
    ),
    "field.raise.photo_not_kept": _m(
        "本机存储空间不足：文字和地点已保存，照片仅在此页面打开时保留。",
        "This phone's storage is full: the words and place are kept, the photos only "
        "while this page is open.",
    ),
    "field.raise.need_place": _m(
        "请先标出问题地点（定位或在地图上点按）。",
        "Mark the place first (locate me, or tap the map).",
    ),
    "field.raise.need_description": _m("请填写问题描述。", "Say what the problem is."),
    "field.raise.sending": _m("正在上报，请稍候……", "Sending…"),
    "field.raise.photos_sending": _m(
        "问题已上报，正在上传照片（{done}/{total}）……",
        "Issue raised; sending photos ({done}/{total})…",
    ),
    "field.raise.offline": _m(
        "网络中断，未能确认发送。草稿已保存在本机，联网后将自动重新发送（不会重复上报）。",
        "No connection: not confirmed as sent. The draft is kept on this phone and goes "
        "again by itself once online (never filed twice).",
    ),
    "field.raise.resending": _m("网络已恢复，正在重新发送……", "Back online; sending again…"),
    "field.raise.sent": _m("已上报，正在打开事项……", "Raised; opening it…"),
    "field.raise.photo_failed": _m(
        "问题已上报，但有一张照片未能上传：{reason}。其余照片可点“吹哨上报”继续上传。",
        "The issue is raised, but a photo could not be sent: {reason}. Tap “Raise it” to "
        "send the others.",
    ),
    # --- photos
    "field.photo.label": _m("照片（可不传，最多 {max} 张）", "Photos (optional, at most {max})"),
    "field.photo.one": _m("照片", "Photo"),
    "field.photo.bad": _m(
        "无法读取这张照片，请换一张或重新拍摄。",
        "That photo could not be read; choose or take another.",
    ),
    "field.photo.remove": _m("移除", "Remove"),
    "field.photo.too_many": _m(
        "最多 {max} 张照片，多出的未添加。", "At most {max} photos; the rest were left out."
    ),
    # --- lists and cards
    "field.card.raised": _m("{at} 上报", "raised {at}"),
    "field.card.due_acknowledge": _m("签收时限：{at}", "To be taken by {at}"),
    "field.card.due_resolve": _m("办结时限：{at}", "To be resolved by {at}"),
    "field.card.overdue": _m("已超期", "overdue"),
    "field.mine.intro": _m(
        "您上报的问题，最新的在前；时间均为北京时间。",
        "The issues you raised, newest first; times are China time.",
    ),
    "field.mine.empty": _m("您还没有上报过问题。", "You have not raised any issue yet."),
    "field.history.intro": _m(
        "派给您的全部事项，最新的在前；时间均为北京时间。",
        "Every issue you were dispatched to, newest first; times are China time.",
    ),
    "field.history.empty": _m("还没有派给您的事项。", "No issue has been dispatched to you yet."),
    "field.duty.waiting": _m("待报到", "Waiting for you to report"),
    "field.duty.waiting_help": _m(
        "以下事项已派给您，请尽快报到：报到后您成为责任人。",
        "These issues were dispatched to you: report for duty soon; you then become responsible.",
    ),
    "field.duty.none_waiting": _m("目前没有待报到的事项。", "Nothing is waiting for you."),
    "field.duty.handling": _m("我在办理", "In my hands"),
    "field.duty.none_handling": _m("目前没有您在办理的事项。", "Nothing is in your hands."),
    # --- status, in the words of the person who raised it
    "field.status.raised": _m("已上报", "Raised"),
    "field.status.located": _m("已上报，正在确定所在网格", "Raised; finding its grid"),
    "field.status.assigned": _m("已交联络站，等待签收", "With the station, waiting to be taken"),
    "field.status.dispatched": _m(
        "已派代表，等待代表报到", "Deputies dispatched, waiting for them to report"
    ),
    "field.status.acknowledged": _m("已有专人负责，等待办理", "Someone has taken it on"),
    "field.status.in_progress": _m("正在办理", "Being handled"),
    "field.status.resolved": _m("已办结，等待群众评价", "Resolved; waiting for the rating"),
    "field.status.rated": _m("群众已评价", "Rated"),
    "field.status.closed": _m("已办结归档", "Closed"),
    "field.status.merged": _m(
        "与同一问题合并，由事项 {into} 继续办理", "Merged: followed up as issue {into}"
    ),
    # --- one issue
    "field.issue.photos": _m("照片", "Photos"),
    "field.issue.photo_alt": _m("{at} 的照片", "Photo of {at}"),
    "field.issue.china_time": _m("时间均为北京时间。", "Times are China time."),
    "field.done.raised": _m(
        "已上报。可在“我的上报”中查看办理进度。", "Raised. Follow it under “My issues”."
    ),
    "field.done.acknowledge": _m("已报到，您是此事项的责任人。", "Reported: you are responsible."),
    "field.done.start": _m("已开始办理。", "Work has started."),
    "field.done.resolve": _m("已办结，等待群众评价。", "Resolved; waiting for the rating."),
    # --- the deputy's actions
    "field.act.acknowledge": _m("报到", "Report for duty"),
    "field.act.acknowledge_help": _m(
        "报到后您成为此事项的责任人；手机允许定位时，一并确认您所在的位置。",
        "Reporting makes you responsible; where the phone allows, your location is checked too.",
    ),
    "field.act.locating": _m("正在获取您的位置……", "Finding where you are…"),
    "field.act.sending": _m("正在提交……", "Sending…"),
    "field.act.need_result": _m("请填写办理结果。", "Say what was done."),
    "field.act.result_hint": _m(
        "做了什么、结果如何、群众是否知晓", "What was done, the outcome, whether people know"
    ),
    "field.act.offline": _m(
        "网络中断，未能提交。请联网后再点一次（不会重复办理）。",
        "No connection: not sent. Tap again once online (it is never done twice).",
    ),
    # --- 延期申请 from the phone
    "field.extension.title": _m("申请延期", "Ask for more time"),
    "field.extension.help": _m(
        "办结时限前办不完的，可向上级申请延期；上级批准后办结时限顺延。",
        "If it cannot be done by the deadline, ask the level above for more time; "
        "once approved, the deadline moves.",
    ),
    "field.extension.length": _m("延长时间", "How much longer"),
    "field.extension.days": _m("{days} 天", "{days} day(s)"),
    "field.extension.reason": _m("延期理由", "Why"),
    "field.extension.reason_hint": _m(
        "为什么需要更多时间、预计何时办完", "Why more time is needed, and when it will be done"
    ),
    "field.extension.submit": _m("提交延期申请", "Ask for more time"),
    "field.extension.need_reason": _m("请填写延期理由。", "Say why more time is needed."),
    "field.extension.pending": _m(
        "延期申请待批：延长 {hours} 小时，理由：{reason}",
        "Extension waiting for approval: {hours} more hours, because: {reason}",
    ),
    "field.extension.hours": _m("延长 {hours} 小时", "{hours} more hours"),
    "field.extension.moved": _m("办结时限已延至 {at}", "Deadline moved to {at}"),
    "field.done.extension": _m(
        "已提交延期申请，等待上级审批。", "Extension asked for; waiting for the level above."
    ),
    # --- refusals said on the page
    "field.error.login": _m(
        "登录已过期，请重新登录；已填写的草稿保存在本机。",
        "Your session has ended: log in again; your draft is kept on this phone.",
    ),
    "field.error.csrf": _m(
        "页面已过期，请刷新后再试；已填写的草稿保存在本机。",
        "The page has expired: reload it and try again; your draft is kept on this phone.",
    ),
    "field.error.forbidden": _m(
        "您的角色不能对此事项进行此操作。", "Your role may not do this on this issue."
    ),
    "field.error.not_my_grid": _m(
        "问题地点不在您负责的网格内，请把图钉移到您的网格中。",
        "The place is outside your grids; move the pin into one of them.",
    ),
    "field.error.conflict": _m(
        "事项刚被他人处理过，请刷新页面查看最新情况。",
        "Someone acted on the issue meanwhile; reload the page to see where it stands.",
    ),
    "field.error.too_large": _m(
        "照片太大（超过 10 MB），请换一张。", "The photo is too large (over 10 MB); choose another."
    ),
    "field.error.busy": _m(
        "服务器繁忙，请稍后再试；草稿保存在本机。",
        "The server is busy; try again shortly; your draft is kept on this phone.",
    ),
    "field.error.check": _m("请检查：{fields}", "Please check: {fields}"),
    "field.error.failed": _m("未能完成：{reason}", "Not done: {reason}"),
    "field.error.separator": _m("、", ", "),
    "field.error.photo_key_reused": _m(
        "此幂等键（Idempotency-Key）已用于另一张照片，未保存。请重新选择照片后再发送。",
        "This Idempotency-Key was already used for another photo; nothing was stored. "
        "Choose the photo again and send it.",
    ),
    "field.error.key": _m(
        "请求缺少幂等键（Idempotency-Key），请刷新页面后重新发送。",
        "The request has no Idempotency-Key; reload the page and send it again.",
    ),
}
