"""Messages of the planner's pages (``plan.*``: coverage, gaps, scenario jobs) and of the
county's account admin (``admin.*``).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- the planner's frame
    "plan.title": _m("布局规划", "Station planning"),
    "plan.nav.home": _m("覆盖情况", "Coverage"),
    "plan.nav.gaps": _m("未覆盖村（社区）", "Villages out of reach"),
    "plan.nav.scenarios": _m("撤并方案", "Consolidation scenarios"),
    "plan.maps_missing": _m(
        "服务器未安装地图组件（pip install 'gridgov[maps]'），无法显示地图。",
        "The server has no map component (pip install 'gridgov[maps]'); maps cannot be shown.",
    ),
    "plan.open_map": _m("在新窗口打开地图", "Open the map in a new window"),
    "plan.map_frame": _m("地图", "Map"),
    # --- coverage
    "plan.cov.title": _m("出门即可达：站点覆盖情况", "Within reach: station coverage"),
    "plan.cov.standard": _m("县定标准：{standard}", "County standard: {standard}"),
    "plan.cov.method.network": _m("按道路网络计算", "on the road network"),
    "plan.cov.method.straight-line": _m(
        "无道路图层，按直线距离×绕行系数估算", "no roads layer: straight line × detour factor"
    ),
    "plan.cov.stations": _m("现有站点", "Stations today"),
    "plan.cov.villages": _m("达标村（社区）", "Villages within reach"),
    "plan.cov.population": _m("达标人口比例", "Population within reach"),
    "plan.cov.mean": _m("人口加权平均用时", "Mean travel (population-weighted)"),
    "plan.cov.p95": _m("95%人口用时不超过", "95% of people within"),
    "plan.cov.gaps": _m("未覆盖村（社区）", "Villages out of reach"),
    "plan.cov.of": _m("{covered} / {total} 个", "{covered} of {total}"),
    "plan.cov.minutes": _m("{minutes} 分钟", "{minutes} min"),
    "plan.cov.see_gaps": _m("查看未覆盖清单", "See the list"),
    "plan.cov.computed": _m("计算时间：{when}", "Worked out at {when}"),
    # --- gaps
    "plan.gaps.title": _m("未覆盖村（社区）清单", "Villages out of reach"),
    "plan.gaps.lead": _m(
        "按{standard}，以下 {count} 个村（社区）共 {people} 人无法就近到达代表联络站点。",
        "At {standard}, these {count} villages ({people} people) have no station within reach.",
    ),
    "plan.gaps.none": _m(
        "按县定标准，所有村（社区）都能就近到达站点。",
        "At the county standard every village has a station within reach.",
    ),
    "plan.gaps.download_csv": _m("下载 CSV", "Download CSV"),
    "plan.gaps.download_xlsx": _m("下载 Excel", "Download Excel"),
    "plan.gaps.sheet": _m("未覆盖村", "Villages out of reach"),
    "plan.gaps.unreachable": _m("无路可达", "no road"),
    "plan.gaps.sort_by": _m("按此列排序", "Sort by this column"),
    "plan.gaps.col.rank": _m("序号", "Rank"),
    "plan.gaps.col.name": _m("村（社区）", "Village"),
    "plan.gaps.col.code": _m("区划代码", "Code"),
    "plan.gaps.col.township": _m("乡镇（街道）", "Township"),
    "plan.gaps.col.population": _m("人口", "Population"),
    "plan.gaps.col.uncovered": _m("未覆盖人口", "Population out of reach"),
    "plan.gaps.col.station": _m("最近站点", "Nearest station"),
    "plan.gaps.col.travel": _m("用时（分钟）", "Travel (min)"),
    "plan.gaps.col.travel_min": _m("用时（分钟）", "Travel (min)"),
    "plan.gaps.col.travel_km": _m("距离（公里）", "Distance (km)"),
    # --- the scenario form
    "plan.sc.title": _m("站点撤并方案", "Station consolidation scenarios"),
    "plan.sc.lead": _m(
        "设定保留站点数和可达标准，系统按“就近就便、有效覆盖”选出保留的站点，"
        "给出每个撤并站点的去向和节省的经费。计算在后台进行，可离开本页，稍后回来查看。",
        "Set how many stations to keep and the reach standard; gridgov chooses the stations "
        "to keep (nearby and convenient, effective coverage), where each closed one goes and "
        "what it saves. It runs in the background: you may leave and come back.",
    ),
    "plan.sc.new": _m("新建方案", "New scenario"),
    "plan.sc.target": _m("保留站点数", "Stations to keep"),
    "plan.sc.target_hint": _m("现有 {count} 个站点", "{count} stations today"),
    "plan.sc.standard": _m("可达标准", "Reach standard"),
    "plan.sc.minutes": _m("分钟", "minutes"),
    "plan.sc.mode": _m("出行方式", "Travel mode"),
    "plan.sc.mode.ebike": _m("电动车", "e-bike"),
    "plan.sc.mode.walk": _m("步行", "walking"),
    "plan.sc.mode.car": _m("汽车", "car"),
    "plan.sc.keep_tiers": _m("整类保留", "Keep every station of these tiers"),
    "plan.sc.keep": _m("必须保留的站点", "Stations that must stay"),
    "plan.sc.close": _m("必须撤并的站点", "Stations that must close"),
    "plan.sc.stations_hint": _m(
        "填站点编号或名称，用逗号或顿号分隔；可从列表中选。",
        "Station ids or names, separated by commas; pick from the list.",
    ),
    "plan.sc.pick": _m("选择站点", "Pick a station"),
    "plan.sc.add_keep": _m("加入必须保留", "Add to must stay"),
    "plan.sc.add_close": _m("加入必须撤并", "Add to must close"),
    "plan.sc.curve": _m(
        "同时计算站点数权衡曲线（较慢，可看到进度）",
        "Also work out the trade-off curve over station counts (slower, shows progress)",
    ),
    "plan.sc.time_limit": _m("求解时限（秒）", "Solver time limit (s)"),
    "plan.sc.start": _m("开始计算", "Start"),
    "plan.sc.fix": _m("请修改标出的项目后再提交。", "Please correct the marked fields."),
    "plan.sc.history": _m("已算方案", "Scenarios so far"),
    "plan.sc.none": _m("还没有算过方案。", "No scenario has been run yet."),
    "plan.sc.col.when": _m("提交时间", "Started"),
    "plan.sc.col.by": _m("提交人", "By"),
    "plan.sc.col.params": _m("参数", "Parameters"),
    "plan.sc.col.state": _m("状态", "State"),
    "plan.sc.params": _m("保留 {target} 个站点，{standard}", "keep {target}, {standard}"),
    "plan.sc.busy_note": _m(
        "另一个方案正在计算，完成后才能开始新的方案。",
        "Another scenario is running; a new one can start when it finishes.",
    ),
    "plan.busy": _m(
        "另一个方案正在计算，请等它完成后再开始。",
        "Another scenario is running; start yours when it has finished.",
    ),
    "plan.no_folder": _m(
        "服务器没有存放方案的文件夹：请管理员设置环境变量 {env}。",
        "The server has no folder for scenarios: ask the administrator to set {env}.",
    ),
    "plan.no_job": _m("没有这个方案。", "There is no such scenario."),
    "plan.no_map": _m("这个方案没有地图。", "This scenario has no map."),
    "plan.cannot_cancel": _m(
        "这个方案已经结束，或不在本服务进程中运行，无法停止。",
        "This scenario has finished, or runs in another server process: it cannot be stopped.",
    ),
    # --- bad parameters (each names its field by where it is shown)
    "plan.err.required": _m("请填写。", "Required."),
    "plan.err.whole": _m(
        "应为整数（填的是“{value}”）。", "Must be a whole number (got “{value}”)."
    ),
    "plan.err.number": _m("应为数字（填的是“{value}”）。", "Must be a number (got “{value}”)."),
    "plan.err.mode": _m(
        "出行方式应为电动车、步行或汽车（填的是“{value}”）。",
        "The mode must be e-bike, walking or car (got “{value}”).",
    ),
    "plan.err.minutes": _m(
        "分钟数应大于 0、不超过 {maximum}。", "Minutes must be above 0 and at most {maximum}."
    ),
    "plan.err.time_limit": _m(
        "求解时限应在 {low} 到 {high} 秒之间。",
        "The time limit must be between {low} and {high} seconds.",
    ),
    "plan.err.tiers": _m("不认识的站点层级：{values}", "Unknown station tiers: {values}"),
    "plan.err.stations": _m(
        "{count} 项不是站点编号或唯一的站点名称：{names}",
        "{count} entries are not a station id or a unique station name: {names}",
    ),
    "plan.err.both": _m(
        "{count} 个站点既要保留又要撤并：{names}（整类保留的层级也算保留）",
        "{count} stations are both kept and closed: {names} (tiers kept whole count as kept)",
    ),
    "plan.err.target": _m(
        "保留站点数应在 {low} 到 {high} 之间（{must} 个必须保留，{closed} 个必须撤并）。",
        "Stations to keep must be from {low} to {high} ({must} must stay, {closed} must close).",
    ),
    "plan.err.target_deputies": _m(
        "{deputies} 名代表不够每站至少 {least} 名：保留站点数最多 {most} 个。",
        "{deputies} deputies cannot give every station at least {least}: keep at most {most}.",
    ),
    "plan.err.target_crowded": _m(
        "{deputies} 名代表按每站最多 {most} 名，至少需要保留 {fewest} 个站点。",
        "{deputies} deputies at most {most} per station need at least {fewest} stations.",
    ),
    # --- a scenario's progress and result
    "plan.job.title": _m("撤并方案 {job}", "Scenario {job}"),
    "plan.job.state.queued": _m("排队中", "queued"),
    "plan.job.state.running": _m("计算中", "running"),
    "plan.job.state.done": _m("已完成", "done"),
    "plan.job.state.failed": _m("未完成", "failed"),
    "plan.job.state.cancelled": _m("已停止", "cancelled"),
    "plan.stage.queued": _m("等待开始", "Waiting to start"),
    "plan.stage.plan": _m(
        "计算各村到站点的用时并求解保留方案", "Working out travel times and the plan"
    ),
    "plan.stage.curve": _m("计算站点数权衡曲线", "Working out the trade-off curve"),
    "plan.stage.curve_n": _m(
        "计算站点数权衡曲线：第 {done} / {total} 点",
        "Working out the trade-off curve: point {done} of {total}",
    ),
    "plan.stage.report": _m("写报表", "Writing the report"),
    "plan.stage.map": _m("绘制地图", "Drawing the map"),
    "plan.stage.done": _m("已完成", "Done"),
    "plan.stage.failed": _m("未完成", "Failed"),
    "plan.stage.cancelled": _m("已停止", "Stopped"),
    "plan.job.elapsed": _m("已用 {seconds} 秒", "{seconds} s so far"),
    "plan.job.leave": _m(
        "可以离开本页，计算不会中断；回到本页即可看到结果。",
        "You may leave this page; the work goes on and this page shows the result.",
    ),
    "plan.job.offline": _m(
        "暂时连不上服务器，正在重试……", "Cannot reach the server just now; retrying…"
    ),
    "plan.job.cancel": _m("停止计算", "Stop"),
    "plan.job.refused": _m("无法得出方案：{detail}", "No plan could be made: {detail}"),
    "plan.job.crashed": _m(
        "计算出错，请把方案编号告知系统管理员（{detail}）。",
        "The run failed; give the administrator the scenario's id ({detail}).",
    ),
    "plan.job.died": _m(
        "计算进程意外退出（{detail}），可能是内存不足。",
        "The run stopped unexpectedly ({detail}); memory may have run out.",
    ),
    "plan.job.interrupted": _m(
        "服务器在计算时重启，方案未完成，请重新提交。{detail}",
        "The server restarted during the run; please start it again.{detail}",
    ),
    "plan.job.params": _m("参数", "Parameters"),
    "plan.job.by": _m("提交人：{name}，{when}", "By {name}, {when}"),
    "plan.job.keep_list": _m("必须保留：{names}", "Must stay: {names}"),
    "plan.job.close_list": _m("必须撤并：{names}", "Must close: {names}"),
    "plan.job.tiers": _m("整类保留：{tiers}", "Tiers kept whole: {tiers}"),
    "plan.job.no_tiers": _m("不整类保留任何层级", "No tier kept whole"),
    "plan.job.back": _m("返回方案列表", "Back to the scenarios"),
    "plan.res.headline": _m(
        "{before} 个站点撤并为 {after} 个（撤并 {closed} 个），每年节省经费 {saving} 元。",
        "{before} stations become {after} ({closed} closed), saving {saving} yuan a year.",
    ),
    "plan.res.optimal": _m("已证明为最优方案。", "Proven optimal."),
    "plan.res.gap": _m(
        "求解在时限内结束，与最优解的差距不超过 {gap}。",
        "The solver stopped at its time limit, within {gap} of the optimum.",
    ),
    "plan.res.figures": _m("撤并前后对比", "Before and after"),
    "plan.res.indicator": _m("指标", "Indicator"),
    "plan.res.before": _m("撤并前", "Before"),
    "plan.res.after": _m("撤并后", "After"),
    "plan.res.change": _m("变化", "Change"),
    "plan.res.absorb": _m("撤并站点去向", "Where each closed station goes"),
    "plan.res.closed": _m("撤并站点", "Closed station"),
    "plan.res.into": _m("并入", "Merges into"),
    "plan.res.township": _m("乡镇（街道）", "Township"),
    "plan.res.travel": _m("两站用时（分钟）", "Between them (min)"),
    "plan.res.villages": _m("村（社区）数", "Villages"),
    "plan.res.deputies": _m("代表数", "Deputies"),
    "plan.res.population": _m("人口", "Population"),
    "plan.res.none_closed": _m("没有站点被撤并。", "No station closes."),
    "plan.res.exceptions": _m(
        "{count} 个村（社区）在任何站点的可达范围之外（与撤并无关）：{names}",
        "{count} villages are out of reach of every site (whatever closes): {names}",
    ),
    "plan.res.curve": _m("站点数权衡曲线", "Trade-off over station counts"),
    "plan.res.curve_p": _m("站点数", "Stations"),
    "plan.res.curve_share": _m("最多可覆盖人口比例", "Most population within reach"),
    "plan.res.curve_mean": _m("最短平均用时（分钟）", "Least mean travel (min)"),
    "plan.res.curve_full": _m(
        "全覆盖下平均用时（分钟）", "Mean travel with everyone coverable within reach (min)"
    ),
    "plan.res.curve_need": _m(
        "让所有可覆盖的人都在标准内，至少需要 {need} 个站点。",
        "Keeping everyone coverable within reach needs at least {need} stations.",
    ),
    "plan.res.map": _m("方案地图", "Scenario map"),
    "plan.res.downloads": _m("下载", "Downloads"),
    "plan.res.file.consolidation.xlsx": _m("方案报表（Excel）", "Report (Excel)"),
    "plan.res.file.consolidation-stations.csv": _m("站点调整（CSV）", "Stations (CSV)"),
    "plan.res.file.consolidation-absorb.csv": _m("撤并去向（CSV）", "Closures (CSV)"),
    "plan.res.file.consolidation-villages.csv": _m("村（社区）（CSV）", "Villages (CSV)"),
    "plan.res.file.consolidation-curve.csv": _m("权衡曲线（CSV）", "Trade-off curve (CSV)"),
    "plan.res.file.consolidation-curve.png": _m("权衡曲线（图片）", "Trade-off curve (image)"),
    "plan.res.took": _m("用时 {seconds} 秒", "took {seconds} s"),
    # --- the county's account admin
    "admin.title": _m("账号管理", "Accounts"),
    "admin.lead": _m(
        "为网格员、人大代表、联络站、乡镇（街道）人大和规划人员开设登录账号。"
        "初始密码只显示一次，请打印后分发；本人首次登录须修改密码。",
        "Logins for grid workers, deputies, stations, townships and planners. Initial "
        "passwords are shown once: print and hand them out; each person changes theirs at "
        "the first login.",
    ),
    "admin.col.login": _m("账号", "Login"),
    "admin.col.name": _m("姓名", "Name"),
    "admin.col.role": _m("角色", "Role"),
    "admin.col.unit": _m("所属单位", "Unit"),
    "admin.col.phone": _m("手机号", "Phone"),
    "admin.col.enabled": _m("状态", "State"),
    "admin.col.must_change": _m("须改密码", "Must change password"),
    "admin.col.actions": _m("操作", "Actions"),
    "admin.enabled": _m("正常", "enabled"),
    "admin.disabled": _m("已停用", "disabled"),
    "admin.locked": _m("锁定至 {until}", "locked until {until}"),
    "admin.yes": _m("是", "yes"),
    "admin.no": _m("否", "no"),
    "admin.reset": _m("重置密码", "Reset password"),
    "admin.disable": _m("停用", "Disable"),
    "admin.enable": _m("启用", "Enable"),
    "admin.confirm_reset": _m(
        "确定为 {login} 重置密码？其现有登录将失效。",
        "Reset the password of {login}? Their sessions end.",
    ),
    "admin.confirm_disable": _m(
        "确定停用 {login}？其现有登录立即失效。", "Disable {login}? Their sessions end at once."
    ),
    "admin.you": _m("（本人）", "(you)"),
    "admin.filter.role": _m("角色", "Role"),
    "admin.filter.any": _m("全部", "All"),
    "admin.filter.q": _m("搜索", "Search"),
    "admin.filter.q_hint": _m("账号、姓名、手机号或单位", "login, name, phone or unit"),
    "admin.filter.apply": _m("筛选", "Filter"),
    "admin.found": _m("共 {count} 个账号", "{count} accounts"),
    "admin.empty": _m("没有符合条件的账号。", "No account matches."),
    "admin.page": _m("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "admin.prev": _m("上一页", "Previous"),
    "admin.next": _m("下一页", "Next"),
    "admin.done.disabled": _m("已停用 {login}。", "{login} is disabled."),
    "admin.done.enabled": _m("已启用 {login}。", "{login} is enabled."),
    "admin.done.none_new": _m(
        "所选角色的账号都已开设，没有新建账号。",
        "Every account of the roles chosen exists already; none was created.",
    ),
    "admin.bulk.title": _m("按工作区批量开设", "Create from the workspace"),
    "admin.bulk.lead": _m(
        "按工作区中的网格（网格员）、代表名册、站点、乡镇和县开设账号；已有的账号不变。",
        "Accounts from the workspace's grids (grid workers), deputies, stations, townships "
        "and county; existing accounts stay as they are.",
    ),
    "admin.bulk.count": _m(
        "共 {total} 个，已开设 {made} 个，待开设 {todo} 个",
        "{total} in all, {made} made, {todo} to make",
    ),
    "admin.bulk.start": _m("开设并打印初始密码", "Create and print the passwords"),
    "admin.one.title": _m("开设单个账号", "Create one account"),
    "admin.one.unit_hint": _m(
        "填单位编号或名称：网格员填网格（可多个，用逗号分隔），代表填代表编号或姓名，"
        "联络站填站点，乡镇填乡镇，规划人员填所在科室。",
        "A unit's code or name: grids for a grid worker (several with commas), the deputy, "
        "the station, the township; a planner's group or office.",
    ),
    "admin.one.login_hint": _m(
        "可不填：按角色自动生成（如 wg-网格编号）；规划人员须填。",
        "May be left empty: made from the role (e.g. wg-<grid code>); a planner's is needed.",
    ),
    "admin.one.start": _m("开设账号", "Create the account"),
    "admin.fix": _m("请修改标出的项目后再提交。", "Please correct the marked fields."),
    "admin.err.role": _m("请选择角色。", "Choose a role."),
    "admin.err.roles": _m("请至少选择一个角色。", "Choose at least one role."),
    "admin.err.name": _m("请填写姓名。", "Give the name."),
    "admin.err.name_long": _m("姓名不能超过 50 个字。", "The name is at most 50 characters."),
    "admin.err.unit_planner": _m(
        "请填写规划人员所在的科室或小组。", "Give the planner's office or group."
    ),
    "admin.err.login_planner": _m(
        "规划人员的账号须自行填写（字母、数字）。",
        "A planner's login must be given (letters, digits).",
    ),
    "admin.err.unit_unknown": _m(
        "工作区中没有这些{role}单位（或名称不唯一，请填编号）：{values}",
        "No {role} unit of the workspace is named (or the name is not unique; give the code): {values}",
    ),
    "admin.err.unit_missing": _m("请填写{role}所属单位。", "Give the unit of the {role}."),
    "admin.err.unit_one": _m("{role}只能属于一个单位。", "A {role} belongs to one unit only."),
    "admin.err.phone": _m(
        "手机号不正确（填的是“{value}”）。", "That is not a phone number (got “{value}”)."
    ),
    "admin.err.phone_taken": _m(
        "这个手机号已被账号 {login} 使用。", "This phone number is used by the account {login}."
    ),
    "admin.err.login_taken": _m("账号 {login} 已存在。", "The login {login} exists already."),
    "admin.err.login_format": _m(
        "账号须为 2–64 个字母、数字或 . _ -，以字母或数字开头（{detail}）。",
        "A login is 2-64 letters, digits, '.', '_' or '-', starting with a letter or digit ({detail}).",
    ),
    "admin.err.refused": _m("无法开设：{detail}", "Cannot create it: {detail}"),
    "admin.err.bulk": _m("批量开设未完成：{detail}", "The accounts were not created: {detail}"),
    "admin.err.no_account": _m("没有这个账号。", "There is no such account."),
    "admin.err.self": _m(
        "不能在这里重置或停用自己的账号；修改本人密码请到“我的账号”。",
        "You cannot reset or disable your own account here; change your password under My account.",
    ),
    "admin.sheet.title": _m("初始密码单", "Initial passwords"),
    "admin.sheet.lead.one": _m(
        "已开设账号，初始密码如下。", "The account is created; its initial password:"
    ),
    "admin.sheet.lead.bulk": _m(
        "已开设 {count} 个账号，初始密码如下。",
        "{count} accounts created; their initial passwords:",
    ),
    "admin.sheet.lead.reset": _m(
        "已重置密码，新的初始密码如下；该账号原有登录已失效。",
        "The password is reset; the new initial password is below. Their sessions have ended.",
    ),
    "admin.sheet.once": _m(
        "密码只在此显示一次，系统不保存明文。请立即打印或下载，分发后妥善销毁。",
        "The passwords are shown this once; gridgov keeps no copy. Print or download them now, "
        "and destroy the copy once handed out.",
    ),
    "admin.sheet.print": _m("打印", "Print"),
    "admin.sheet.xlsx": _m("下载 Excel 密码表", "Download the Excel sheet"),
    "admin.sheet.back": _m("返回账号管理", "Back to the accounts"),
    "admin.sheet.slip_title": _m("网格吹哨·代表报到 登录信息", "Grid whistle · your login"),
    "admin.sheet.password": _m("初始密码", "Initial password"),
    "admin.sheet.first_login": _m(
        "首次登录后须修改密码。也可用手机号登录。",
        "Change the password at your first login. Your phone number is also a login.",
    ),
    "admin.sheet.made_at": _m("生成时间：{when}", "Made at {when}"),
}
