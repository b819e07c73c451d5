"""Messages of the staff, grid-worker and deputy screens (``page.*``, ``web.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- the frame of every staff page
    "web.brand": _m("网格吹哨·代表报到", "Grid whistle · deputies report"),
    "web.nav.work": _m("工作台", "Work queue"),
    "web.nav.logout": _m("退出", "Log out"),
    "web.nav.map": _m("地图", "Map"),
    "web.nav.stats": _m("统计", "Statistics"),
    "web.nav.plan": _m("布局规划", "Planning"),
    "web.nav.accounts": _m("账号管理", "Accounts"),
    # --- roles (as the pages name them)
    "web.role.grid_worker": _m("网格员", "grid worker"),
    "web.role.deputy": _m("人大代表", "deputy"),
    "web.role.station_admin": _m("联络站管理员", "station admin"),
    "web.role.township_staff": _m("乡镇（街道）人大", "township staff"),
    "web.role.county_staff": _m("县人大常委会代表工委", "county staff"),
    "web.role.planner": _m("规划分析", "planner"),
    "web.role.public": _m("群众", "resident"),
    "web.role.system": _m("系统", "system"),
    # --- logging in
    "web.login.title": _m("登录", "Log in"),
    "web.login.who": _m("账号、手机号或姓名", "Login, phone or name"),
    "web.login.password": _m("密码", "Password"),
    "web.login.submit": _m("登录", "Log in"),
    "web.login.help": _m(
        "初始密码见县人大常委会代表工委发放的账号单；忘记密码请联系代表工委重置。",
        "Your initial password is on the account sheet from the county office; "
        "ask them to reset a forgotten one.",
    ),
    "web.login.wrong": _m("账号或密码不正确。", "Wrong login or password."),
    "web.login.locked": _m(
        "密码错误次数过多，账号已锁定，请于 {until} 后再试。",
        "Too many wrong passwords: the account is locked until {until}.",
    ),
    "web.login.too_many": _m(
        "本机登录失败次数过多，请稍后再试。",
        "Too many failed logins from this device; try again later.",
    ),
    "web.login.no_unit": _m(
        "账号所属单位已不在工作区中，请联系县人大常委会代表工委。",
        "Your account's unit is no longer in the workspace; ask the county office.",
    ),
    # --- my account
    "web.account.title": _m("我的账号", "My account"),
    "web.account.name": _m("姓名", "Name"),
    "web.account.login": _m("账号", "Login"),
    "web.account.role": _m("角色", "Role"),
    "web.account.unit": _m("所属单位", "Unit"),
    "web.account.phone": _m("手机号", "Phone"),
    "web.account.change": _m("修改密码", "Change password"),
    "web.account.old": _m("当前密码", "Current password"),
    "web.account.new": _m(
        "新密码（至少 {min} 位，含字母和数字）",
        "New password (at least {min} characters, letters and digits)",
    ),
    "web.account.again": _m("再次输入新密码", "New password again"),
    "web.account.save": _m("保存新密码", "Save the new password"),
    "web.account.changed": _m("密码已修改。", "Your password has been changed."),
    "web.account.mismatch": _m("两次输入的新密码不一致。", "The two new passwords differ."),
    "web.account.old_wrong": _m("当前密码不正确。", "The current password is wrong."),
    "web.account.too_weak": _m(
        "新密码至少 {min} 位，须同时含字母和数字，且不能与原密码相同。",
        "The new password needs at least {min} characters with letters and digits, "
        "and must differ from the old one.",
    ),
    "web.account.must_change": _m(
        "您仍在使用初始密码。", "You are still using your initial password."
    ),
    "web.account.change_now": _m("立即修改", "Change it now"),
    # --- errors shown as pages or on a page
    "web.error.title": _m("无法打开（{status}）", "Cannot open this ({status})"),
    "web.error.home": _m("返回首页", "Back to the start"),
    "web.error.forbidden_page": _m("您的角色不能使用此页面。", "Your role cannot use this page."),
    "web.error.csrf": _m(
        "表单已失效或来源不明，请返回页面刷新后重新提交。",
        "The form has expired or came from elsewhere; reload the page and send it again.",
    ),
    "web.error.no_issue": _m(
        "没有这个事项，或它不在您的管辖范围内。",
        "There is no such issue, or it is outside your unit.",
    ),
    "web.error.no_page": _m("没有这个页面。", "There is no such page."),
    "web.error.forbidden_action": _m(
        "您的角色在事项当前所处环节不能进行此操作。",
        "Your role may not take this action while the issue is where it is.",
    ),
    "web.error.transition": _m(
        "事项当前的状态不允许此操作。", "The issue's status does not allow this action."
    ),
    "web.error.conflict": _m(
        "事项刚被他人处理过，请查看最新情况后再操作。",
        "Someone acted on the issue meanwhile; look at its latest state and try again.",
    ),
    "web.error.invalid": _m(
        "操作未能完成，请检查填写的内容。", "Not done: check what you entered."
    ),
    "web.error.param.reason": _m("请填写理由。", "Give a reason."),
    "web.error.param.result": _m("请填写办理结果。", "Say what was done."),
    "web.error.param.to": _m(
        "请选择接收单位（不能是事项当前所在单位）。",
        "Choose the unit to hand over to (not the one that has the issue now).",
    ),
    "web.error.param.into": _m(
        "合并目标无效：须是您能看到的、同一类别、位置相近且仍在办理中的事项编号。",
        "Cannot merge into that: give the number of an open issue you can see, of the same "
        "category and nearby.",
    ),
    "web.error.param.version": _m(
        "事项已有更新，请查看最新情况后再操作。",
        "The issue has changed; look at its latest state and try again.",
    ),
    # --- what was done (after an action)
    "web.done.acknowledge": _m("已签收，您是此事项的责任人。", "Taken: you are responsible."),
    "web.done.start": _m("已开始办理。", "Work has started."),
    "web.done.resolve": _m("已办结，等待群众评价。", "Resolved; waiting for the rating."),
    "web.done.escalate": _m("已上报上级。", "Escalated to the unit above."),
    "web.done.transfer": _m("已转办。", "Transferred."),
    "web.done.return": _m("已退回。", "Returned."),
    "web.done.merge": _m("已合并为重复件。", "Merged as a duplicate."),
    "web.done.close": _m("已关闭。", "Closed."),
    "web.done.elsewhere": _m(
        "操作已完成，事项已移出您的管辖范围。",
        "Done; the issue has left your unit.",
    ),
    # --- the work queue
    "web.queue.title": _m("工单工作台", "Work queue"),
    "web.queue.tabs": _m("工单分类", "Work-order tabs"),
    "web.tab.pending": _m("待签收", "To take"),
    "web.tab.handling": _m("办理中", "In hand"),
    "web.tab.due_soon": _m("即将超期", "Due soon"),
    "web.tab.overdue": _m("已超期", "Overdue"),
    "web.tab.escalated": _m("已上报", "Escalated"),
    "web.tab.to_rate": _m("待评价", "To be rated"),
    "web.queue.search": _m("搜索", "Search"),
    "web.queue.search_hint": _m("编号、标题、描述、地址", "number, title, description, address"),
    "web.queue.category": _m("类别", "Category"),
    "web.queue.township": _m("乡镇（街道）", "Township"),
    "web.queue.station": _m("联络站", "Station"),
    "web.queue.grid": _m("网格", "Grid"),
    "web.queue.from": _m("受理日期从", "Raised from"),
    "web.queue.to": _m("至", "to"),
    "web.queue.any": _m("全部", "all"),
    "web.queue.apply": _m("筛选", "Filter"),
    "web.queue.reset": _m("清除条件", "Clear"),
    "web.queue.found": _m("共 {count} 件", "{count} issues"),
    "web.queue.empty": _m("此分类下没有事项。", "No issues under this tab."),
    "web.queue.prev": _m("上一页", "Previous"),
    "web.queue.next": _m("下一页", "Next"),
    "web.queue.page": _m("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "web.queue.bad_filter": _m(
        "以下条件无法识别，已忽略：{names}",
        "These filters could not be read and were ignored: {names}",
    ),
    "web.queue.truncated": _m(
        "事项过多，仅统计了最新的一部分，请用条件缩小范围。",
        "Too many issues: only the newest were counted; narrow the filters.",
    ),
    # --- the issue page
    "web.issue.id": _m("编号", "Number"),
    "web.issue.summary": _m("事项", "Issue"),
    "web.issue.unit": _m("当前单位", "Unit"),
    "web.issue.status": _m("状态", "Status"),
    "web.issue.created": _m("受理时间", "Raised"),
    "web.issue.deadline": _m("办理时限", "Deadline"),
    "web.issue.three_knows": _m("三知", "The three knows"),
    "web.issue.handling_unit": _m("承办单位", "Handling unit"),
    "web.issue.responsible": _m("责任人", "Responsible person"),
    "web.issue.result": _m("办理结果", "Result"),
    "web.issue.nobody_yet": _m("尚未签收", "not taken yet"),
    "web.issue.details": _m("详情", "Details"),
    "web.issue.description": _m("问题描述", "Description"),
    "web.issue.address": _m("地点", "Place"),
    "web.issue.level": _m("所处层级", "Level"),
    "web.issue.source": _m("反映渠道", "Raised by"),
    "web.issue.reporter": _m("反映人", "Reporter"),
    "web.issue.deputies": _m("报到代表", "Deputies dispatched"),
    "web.issue.acknowledge_due": _m("签收时限", "Take by"),
    "web.issue.resolve_due": _m("办结时限", "Resolve by"),
    "web.issue.escalations": _m("逐级上报次数", "Escalations"),
    "web.issue.rating": _m("群众评价", "Rating"),
    "web.issue.merged_into": _m("已并入", "Merged into"),
    "web.issue.actions": _m("办理", "Act"),
    "web.issue.no_actions": _m(
        "事项当前不需要您办理。", "There is nothing for you to do on this issue now."
    ),
    "web.issue.timeline": _m("流转记录", "Timeline"),
    "web.issue.when": _m("时间（北京时间）", "When (China time)"),
    "web.issue.what": _m("环节", "Step"),
    "web.issue.who": _m("操作人", "By"),
    # --- actions
    "web.action.acknowledge": _m("签收", "Take it"),
    "web.action.acknowledge_help": _m(
        "签收后您成为此事项的责任人。", "Taking it makes you the responsible person."
    ),
    "web.action.start": _m("开始办理", "Start work"),
    "web.action.resolve": _m("办结", "Resolve"),
    "web.action.escalate": _m("上报", "Escalate"),
    "web.action.escalate_to": _m("上报至：{unit}", "Escalate to: {unit}"),
    "web.action.transfer": _m("转办", "Transfer"),
    "web.action.return": _m("退回", "Return"),
    "web.action.return_to": _m("退回至：{unit}", "Return to: {unit}"),
    "web.action.merge": _m("合并重复件", "Merge as duplicate"),
    "web.action.close": _m("关闭", "Close"),
    "web.action.note": _m("说明（可不填）", "Note (optional)"),
    "web.action.result": _m("办理结果", "What was done"),
    "web.action.reason": _m("理由", "Reason"),
    "web.action.to": _m("接收单位", "To unit"),
    "web.action.choose": _m("请选择", "choose"),
    "web.action.into": _m("并入事项编号", "Merge into issue number"),
    # --- levels
    "web.level.grid": _m("网格", "grid"),
    "web.level.station": _m("联络站", "station"),
    "web.level.township": _m("乡镇（街道）", "township"),
    "web.level.county": _m("县级", "county"),
    "web.level.external": _m("职能部门（12345）", "departments (12345)"),
    "web.level.none": _m("未分派", "not assigned"),
    # --- ratings
    "web.rating.satisfied": _m("满意", "satisfied"),
    "web.rating.basic": _m("基本满意", "basically satisfied"),
    "web.rating.unsatisfied": _m("不满意", "unsatisfied"),
    # --- deadlines missed
    "web.missed.acknowledge": _m("签收", "taking it"),
    "web.missed.resolve": _m("办结", "resolving it"),
    # --- events of the timeline
    "web.event.raised": _m("吹哨（受理）", "Raised"),
    "web.event.located": _m("定位到网格", "Located"),
    "web.event.assigned": _m("交办", "Assigned"),
    "web.event.dispatched": _m("派单（代表报到）", "Deputies dispatched"),
    "web.event.acknowledged": _m("签收", "Taken"),
    "web.event.started": _m("开始办理", "Work started"),
    "web.event.resolved": _m("办结", "Resolved"),
    "web.event.rated": _m("群众评价", "Rated"),
    "web.event.reopened": _m("重新办理", "Reopened"),
    "web.event.closed": _m("关闭", "Closed"),
    "web.event.transferred": _m("转办", "Transferred"),
    "web.event.returned": _m("退回", "Returned"),
    "web.event.escalated": _m("超时逐级上报", "Escalated (deadline missed)"),
    "web.event.overdue": _m("超期", "Overdue"),
    "web.event.duplicates_suggested": _m("疑似重复", "Possible duplicates"),
    "web.event.merged": _m("合并为重复件", "Merged as duplicate"),
    "web.event.duplicate_merged": _m("并入重复件", "Duplicate merged in"),
    # --- details of a timeline entry
    "web.detail.from": _m("原单位", "from"),
    "web.detail.to": _m("接收单位", "to"),
    "web.detail.deputies": _m("代表", "deputies"),
    "web.detail.grid": _m("网格", "grid"),
    "web.detail.duplicates": _m("相近事项", "nearby issues"),
    "web.detail.reason": _m("理由", "reason"),
    "web.detail.result": _m("结果", "result"),
    "web.detail.note": _m("说明", "note"),
    "web.detail.missed": _m("超时环节", "missed"),
    "web.detail.rating": _m("评价", "rating"),
    "web.detail.into": _m("并入", "into"),
    "web.detail.issue_id": _m("重复件", "duplicate"),
    "web.detail.reported_from": _m("报到处距问题", "reported at a distance of"),
    "web.unit.metres": _m("米", "m"),
    "web.detail.unit_name": _m("单位", "unit"),
}
