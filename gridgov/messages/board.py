"""Messages of the staff map and statistics pages (``board.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- the live map (/work/map) ------------------------------------------------------------
    "board.map.title": _m("问题地图", "Issue map"),
    "board.map.filters": _m("筛选", "Filters"),
    "board.map.apply": _m("筛选", "Filter"),
    "board.map.reset": _m("清除条件", "Clear"),
    "board.map.legend": _m("图例", "Legend"),
    "board.map.overdue": _m("已超期", "Overdue"),
    "board.map.due_soon": _m("即将超期", "Due soon"),
    "board.map.open": _m("其他未办结", "Other open issues"),
    "board.map.cluster": _m(
        "数字：该处的问题件数（红框：含已超期）", "Number: issues there (red ring: some overdue)"
    ),
    "board.map.grids": _m("网格", "Grids"),
    "board.map.stations": _m("联络站", "Stations"),
    "board.map.townships": _m("乡镇（街道）界", "Township boundaries"),
    "board.map.loading": _m("正在载入……", "Loading…"),
    "board.map.count": _m(
        "地图范围内未办结 {shown} 件（已超期 {overdue} 件，即将超期 {due_soon} 件），{time} 更新，每分钟自动刷新。",
        "{shown} open issues in view ({overdue} overdue, {due_soon} due soon), updated {time}; "
        "refreshed every minute.",
    ),
    "board.map.truncated": _m(
        "范围内共 {total} 件，只显示最新的 {shown} 件：请放大地图或加筛选条件。",
        "{total} issues in view; only the newest {shown} are shown: zoom in or filter.",
    ),
    "board.map.failed": _m(
        "刷新失败（{reason}），一分钟后自动重试。",
        "Refreshing failed ({reason}); trying again in a minute.",
    ),
    "board.map.expired": _m(
        "登录已过期，请重新登录后刷新本页。",
        "Your session has ended: log in again and reload this page.",
    ),
    "board.map.noscript": _m(
        "地图需要浏览器启用 JavaScript；也可在工作台按条件查看问题列表。",
        "The map needs JavaScript; the work queue lists the same issues.",
    ),
    "board.map.open_issue": _m("查看详情", "Open"),
    "board.map.created": _m("受理时间", "Raised"),
    "board.map.unit": _m("当前办理单位", "Handled by"),
    "board.map.grid": _m("网格", "Grid"),
    "board.map.status": _m("状态", "Status"),
    "board.map.bad_filter": _m(
        "以下筛选条件无法识别，已忽略：{names}",
        "These filters were not understood and were ignored: {names}",
    ),
    # errors of the map's data (JSON read by the page's script)
    "board.error.login": _m("请先登录。", "Log in first."),
    "board.error.forbidden": _m(
        "您的角色不能查看问题地图。", "Your role cannot use the issue map."
    ),
    "board.error.bbox_missing": _m(
        "缺少地图范围（bbox=最小经度,最小纬度,最大经度,最大纬度）。",
        "The map's extent is missing (bbox=min lon,min lat,max lon,max lat).",
    ),
    "board.error.bbox": _m(
        "地图范围“{value}”无效：应为四个数：最小经度,最小纬度,最大经度,最大纬度。",
        "The map extent {value!r} is not valid: give four numbers, min lon,min lat,max lon,max lat.",
    ),
    "board.error.category": _m(
        "没有“{value}”这一问题类别。", "There is no issue category {value!r}."
    ),
    "board.error.station": _m(
        "联络站“{value}”不在您可查看的范围内。", "Station {value!r} is not one you may see."
    ),
    "board.error.township": _m(
        "乡镇（街道）“{value}”不在您可查看的范围内。", "Township {value!r} is not one you may see."
    ),
    # --- photos on the staff issue page (/work/issues/{id}) ----------------------------------
    "board.photos.title": _m("照片", "Photos"),
    "board.photos.none": _m("暂无照片。", "No photos."),
    "board.photos.alt": _m("现场照片 {n}", "Photo {n}"),
    "board.photos.place": _m("拍摄位置 {place}", "taken at {place}"),
    "board.photos.missing": _m("没有这张照片。", "There is no such photo."),
    # --- statistics (/work/stats) ------------------------------------------------------------
    "board.stats.title": _m("统计分析", "Statistics"),
    "board.stats.period": _m("统计期", "Period"),
    "board.stats.from": _m("起始日期", "From"),
    "board.stats.to": _m("截止日期（含）", "To (inclusive)"),
    "board.stats.apply": _m("查看", "Show"),
    "board.stats.this_month": _m("本月", "This month"),
    "board.stats.last_month": _m("上月", "Last month"),
    "board.stats.this_quarter": _m("本季度", "This quarter"),
    "board.stats.this_year": _m("本年", "This year"),
    "board.stats.shown": _m(
        "{start} 至 {end}（北京时间），范围：{scope}",
        "{start} to {end} (Beijing time), scope: {scope}",
    ),
    "board.stats.export": _m("导出 Excel", "Export to Excel"),
    "board.stats.definitions": _m(
        "收集问题：统计期内受理的问题（合并的重复问题不重复计）；办结率 = 办结 ÷ 收集；"
        "按期办结率 = 按期办结 ÷ 办结；满意率 = 满意（含基本满意）÷ 已评价。数字为截至统计期末的状态。",
        "Received: issues raised in the period (merged duplicates counted once); settle rate = "
        "settled ÷ received; on-time rate = settled on time ÷ settled; satisfaction = satisfied "
        "(incl. basically) ÷ rated. Figures are as of the end of the period.",
    ),
    "board.stats.none": _m("本统计期内没有受理问题。", "No issues were raised in this period."),
    "board.stats.by_township": _m("按乡镇（街道）", "By township"),
    "board.stats.by_station": _m("按联络站", "By station"),
    "board.stats.by_category": _m("按问题类别", "By category"),
    "board.stats.by_week": _m("按周", "By week"),
    "board.stats.by_month": _m("按月", "By month"),
    "board.stats.top": _m(
        "图中为收集问题最多的 {shown} 个（共 {total} 个有问题）；表中列出全部。",
        "The chart shows the {shown} with most issues (of {total} with any); the table lists all.",
    ),
    "board.stats.chart": _m("{title}：收集与办结件数", "{title}: issues received and settled"),
    "board.stats.week": _m("{start}～{end}", "{start} – {end}"),
    "board.stats.month": _m("{year}年{month}月", "{year}-{month:02d}"),
    "board.stats.table": _m("明细表（{count} 行）", "Table ({count} rows)"),
    "board.stats.rate_note": _m("办结率 {rate}", "settled {rate}"),
    "board.stats.bad_date": _m(
        "日期“{value}”无法识别，请按“年-月-日”填写（如 2026-11-01）。",
        "The date {value!r} is not understood: write it as year-month-day (2026-11-01).",
    ),
    "board.stats.bad_period": _m("没有“{value}”这一统计期。", "There is no period {value!r}."),
    "board.stats.bad_order": _m(
        "截止日期不能早于起始日期。", "The end date cannot come before the start date."
    ),
    "board.stats.too_long": _m(
        "统计期最长 {days} 天，请缩短。", "A period is at most {days} days: shorten it."
    ),
    "board.stats.out_of_range": _m(
        "日期须在 2001 年至 2099 年之间。", "Dates must fall between 2001 and 2099."
    ),
    # the figures (page cards, table and workbook headers)
    "board.col.unit": _m("代码", "Code"),
    "board.col.name": _m("名称", "Name"),
    "board.col.period": _m("时段", "Period"),
    "board.col.metric": _m("指标", "Figure"),
    "board.col.value": _m("数值", "Value"),
    "board.col.received": _m("收集问题（件）", "Received"),
    "board.col.settled": _m("办结（件）", "Settled"),
    "board.col.settle_rate": _m("办结率", "Settle rate"),
    "board.col.on_time": _m("按期办结（件）", "Settled on time"),
    "board.col.on_time_rate": _m("按期办结率", "On-time rate"),
    "board.col.rated": _m("已评价（件）", "Rated"),
    "board.col.satisfied": _m("满意（含基本满意）（件）", "Satisfied (incl. basically)"),
    "board.col.satisfaction_rate": _m("满意率", "Satisfaction rate"),
    "board.col.unsatisfied": _m("不满意（件）", "Unsatisfied"),
    "board.col.reopened": _m("重新办理（件）", "Reopened"),
    "board.col.escalated": _m("逐级上报（件）", "Escalated"),
    "board.col.open_backlog": _m("未办结（件）", "Still open"),
    "board.col.merged": _m("合并重复（件）", "Merged duplicates"),
    "board.col.mean_hours_to_acknowledge": _m("平均签收时长（小时）", "Mean hours to take"),
    "board.col.mean_hours_to_resolve": _m("平均办结时长（小时）", "Mean hours to settle"),
    "board.col.deputy_visits": _m("代表报到（人次）", "Deputy check-ins"),
    # the workbook
    "board.xlsx.title": _m("代表联络站问题办理统计", "Liaison station issue statistics"),
    "board.xlsx.period": _m(
        "统计期：{start} 至 {end}（北京时间）", "Period: {start} to {end} (Beijing time)"
    ),
    "board.xlsx.scope": _m("统计范围：{scope}", "Scope: {scope}"),
    "board.xlsx.generated": _m("生成时间：{time}（北京时间）", "Generated: {time} (Beijing time)"),
    "board.xlsx.summary": _m("汇总", "Summary"),
    "board.xlsx.file": _m("问题办理统计", "issue-statistics"),
}
