"""Messages of the reports a county leader is handed and the workspace styles (``report.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- every workbook: title block and print footer
    "report.book.generated": _m("生成时间", "Generated at"),
    "report.book.generated_at": _m("生成时间 {at}", "Generated {at}"),
    "report.book.page": _m("第 &P 页，共 &N 页", "Page &P of &N"),
    "report.book.county": _m("县（市、区）", "County"),
    "report.book.subject": _m("内容", "Subject"),
    "report.book.standard": _m("可达标准", "Reach standard"),
    "report.book.county_standard": _m("县定标准", "County standard"),
    "report.book.method": _m("计算方法", "Travel measured"),
    "report.book.demand": _m("需求口径", "Demand basis"),
    "report.book.data_date": _m("数据日期", "Data as of"),
    "report.book.source": _m("数据来源", "Data source"),
    "report.book.item": _m("指标", "Figure"),
    "report.book.value": _m("数值", "Value"),
    "report.book.yes": _m("是", "yes"),
    "report.book.no": _m("否", "no"),
    "report.book.none": _m("无", "none"),
    "report.book.conclusion": _m("结论", "In short"),
    # --- coverage workbook
    "report.cov.title": _m(
        "{county}代表联络站覆盖情况（{standard}）",
        "{county} deputy liaison station coverage ({standard})",
    ),
    "report.cov.headline": _m(
        "按{standard}标准，{n} 个村（社区）中 {covered} 个达标（{share}），覆盖 {people} 的人口；"
        "{gaps} 个村（社区）未达标，见“缺口”表。",
        "At {standard}, {covered} of {n} villages are within reach ({share}), {people} of the "
        "population; {gaps} villages are not (sheet 缺口).",
    ),
    "report.cov.demand_settlements": _m(
        "按 {points} 个自然村（居民点）的人口和位置计算",
        "people counted where they live: {points} settlements",
    ),
    "report.cov.demand_villages": _m(
        "按 {villages} 个村（社区）代表点计算（无自然村图层）",
        "people counted at {villages} village points (no settlements layer)",
    ),
    "report.cov.demand_mixed": _m(
        "按 {points} 个自然村（居民点）计算；另有 {villages} 个村（社区）无自然村数据，按村代表点计算",
        "{points} settlements, plus {villages} villages without settlements counted at their point",
    ),
    "report.cov.m_covered": _m("“达标”的含义", "“Within reach” means"),
    "report.cov.m_covered_is": _m(
        "村（社区）全部居民点到最近站点的用时都在{standard}以内",
        "every settlement of the village reaches its nearest station within {standard}",
    ),
    "report.cov.m_mean": _m("人口加权平均用时", "Population-weighted mean travel"),
    "report.cov.m_mean_is": _m(
        "每个居民点到最近站点的用时按人口加权平均",
        "travel from each settlement to its nearest station, averaged by population",
    ),
    "report.cov.m_p95": _m("95%分位用时", "95th percentile travel"),
    "report.cov.m_p95_is": _m(
        "95% 的人口到站用时不超过此值", "95% of the population travel no longer than this"
    ),
    "report.cov.m_rule": _m("“一村一点”", "“A point in every village”"),
    "report.cov.m_rule_is": _m(
        "村（社区）内有站点，或其主要居民点到站用时在标准以内",
        "the village has a station, or its main settlement reaches one within the standard",
    ),
    "report.cov.m_long_snaps": _m(
        "距路网超过阈值的居民点（个）", "Settlements far from any road (count)"
    ),
    # --- consolidation workbook
    "report.plan.title": _m(
        "{county}代表联络站撤并方案（{before} → {after}，按{standard}规划；县定标准{county_standard}）",
        "{county} station consolidation plan ({before} → {after}, planned at {standard}; "
        "county standard {county_standard})",
    ),
    "report.plan.standard": _m("规划标准", "Planned at"),
    "report.plan.headline_stations": _m(
        "站点由 {before} 个调整为 {after} 个（撤并 {closed} 个），每年节约运行经费 {saving} 元。",
        "Stations go from {before} to {after} ({closed} closed), saving {saving} yuan a year. ",
    ),
    "report.plan.headline_county": _m(
        "按县定标准{standard}：达标村（社区）由 {before} 个变为 {after} 个（失去覆盖 {lost} 个），"
        "人口达标率 {pop_before} → {pop_after}。",
        "At the county standard {standard}: villages within reach {before} → {after} ({lost} "
        "lost), population within reach {pop_before} → {pop_after}. ",
    ),
    "report.plan.headline_planned": _m(
        "方案按{standard}规划，在该标准下失去覆盖 {lost} 个。",
        "The plan was made at {standard}, where it loses {lost} villages.",
    ),
    "report.plan.solver_proven": _m("已证明为最优方案", "proven optimal"),
    "report.plan.solver_gap": _m(
        "未证明最优：与最优方案相差不超过 {gap}", "not proven optimal: within {gap} of the best"
    ),
    "report.plan.solver_unbounded": _m(
        "未证明最优：求解时间内未得到下界", "not proven optimal: no bound within the time limit"
    ),
    "report.plan.m_out_of_reach": _m(
        "这些村（社区）离任何现有或候选站点都超出规划标准，任何方案都无法让其达标；"
        "“能否覆盖全部可达村（社区）”和“所需最少站点数”不计这些村（社区）。",
        "No existing or candidate site reaches these villages within the planning standard, "
        "so no plan can; the trade-off columns on covering every reachable village leave them out.",
    ),
    "report.chart.title": _m(
        "{county}站点数与覆盖、用时的权衡（{standard}）",
        "{county} stations against coverage and travel ({standard})",
    ),
    "report.chart.x": _m("保留站点数", "stations kept"),
    "report.chart.cov": _m("最多可达标人口比例（%）", "population within reach (%)"),
    "report.chart.mean_free": _m("平均用时（分钟，不限覆盖）", "mean travel (min, any coverage)"),
    "report.chart.mean_full": _m(
        "平均用时（分钟，全部可达村达标）", "mean travel (min, every reachable village covered)"
    ),
    "report.chart.full": _m(
        "全部可达村达标所需最少站点数", "fewest stations covering every reachable village"
    ),
    "report.chart.target": _m("本方案", "this plan"),
    "report.chart.mean_axis": _m(
        "人口加权平均用时（分钟）", "mean travel, population-weighted (min)"
    ),
    # --- QGIS layer titles and legend
    "report.qgis.beyond": _m("超出{standard}", "beyond {standard}"),
    "report.qgis.coverage_villages": _m(
        "覆盖：各村（社区）到站用时（{standard}）", "Coverage: travel to a station ({standard})"
    ),
    "report.qgis.coverage_gap_sites": _m("覆盖：建议新设点", "Coverage: suggested new sites"),
    "report.qgis.coverage_service_areas": _m(
        "覆盖：站点服务范围（{standard}）", "Coverage: station service areas ({standard})"
    ),
    "report.qgis.plan_stations": _m("撤并方案：站点（{standard}）", "Plan: stations ({standard})"),
    "report.qgis.plan_villages": _m(
        "撤并方案：村（社区）覆盖变化（{standard}）", "Plan: village coverage change ({standard})"
    ),
    "report.qgis.plan_absorb": _m("撤并方案：撤并去向", "Plan: where closed stations go"),
    # --- signage, brief, week
    "report.sign.station": _m("代表联络站", "deputy liaison station"),
    "report.sign.head": _m("{county}人大代表{tier}", "{county} people's congress deputy {tier}"),
    "report.sign.address": _m("地址：{address}", "Address: {address}"),
    "report.sign.reception": _m("接待日：{day}", "Reception day: {day}"),
    "report.sign.contact": _m("联系电话：{phone}", "Phone: {phone}"),
    "report.sign.deputies": _m("驻站代表：{names}", "Deputies here: {names}"),
    "report.sign.deputies_more": _m(
        "驻站代表：{names}等 {n} 名", "Deputies here: {names} and others ({n} in all)"
    ),
    "report.sign.cta": _m("扫码反映问题　找代表", "Scan to raise an issue and find your deputy"),
    "report.sign.cta_sub": _m(
        "码上亮身份　码上提建议", "See who your deputies are, leave a suggestion"
    ),
    "report.card.head": _m("{county}人大代表", "{county} people's congress deputy"),
    "report.card.specialty": _m("专业/行业：{specialty}", "Field: {specialty}"),
    "report.card.station": _m("联系站点：{station}", "Station: {station}"),
    "report.card.cta": _m("扫码找代表　提建议", "Scan to reach this deputy"),
    "report.week.unbounded": _m("不限", "open"),
    "report.week.period": _m("{start} 至 {end}（不含）", "{start} to {end} (exclusive)"),
    "report.week.title": _m(
        "{county}群众反映问题办理情况统计（{period}）",
        "{county} issues raised and handled ({period})",
    ),
    "report.week.window": _m("统计时段", "Window"),
    "report.week.counted": _m("统计口径", "What is counted"),
    "report.week.counted_is": _m(
        "统计时段内提出的问题（合并的重复问题只计一次）；办结、上报、重新办理等状态均截至统计时段结束时",
        "issues raised in the window (merged duplicates counted once); settled, escalated, "
        "reopened as of the window's end",
    ),
    "report.week.headline": _m(
        "收集问题 {received} 件，办结 {settled} 件（办结率 {rate}），逐级上报 {escalated} 件，"
        "重新办理 {reopened} 件，合并重复 {merged} 件。",
        "{received} issues received, {settled} settled ({rate}), {escalated} escalated, "
        "{reopened} reopened, {merged} merged duplicates.",
    ),
    "report.brief.title": _m(
        "{county}代表联络站撤并方案简报（{before} → {after}）",
        "{county} station consolidation brief ({before} → {after})",
    ),
    "report.brief.standard_same": _m(
        "按县定标准{standard}规划与评价", "Planned and judged at the county standard {standard}"
    ),
    "report.brief.standard_other": _m(
        "按{standard}规划；按县定标准{county_standard}评价，失去覆盖 {lost} 个村（社区）",
        "Planned at {standard}; at the county standard {county_standard} it loses {lost} villages",
    ),
    "report.brief.before": _m("调整前", "Before"),
    "report.brief.after": _m("调整后", "After"),
    "report.brief.stations": _m("站点数", "Stations"),
    "report.brief.villages_at": _m(
        "县定标准{standard}内的村（社区）数", "Villages within the county standard {standard}"
    ),
    "report.brief.population_at": _m(
        "县定标准{standard}内的人口比例", "Population within the county standard {standard}"
    ),
    "report.brief.villages_share_at": _m(
        "规划标准{standard}内的村（社区）比例", "Villages within the planning standard {standard}"
    ),
    "report.brief.mean_travel": _m(
        "人口加权平均到站用时（分钟）", "Mean travel to a station, population-weighted (min)"
    ),
    "report.brief.saving": _m("每年节约运行经费（元）", "Yearly saving (yuan)"),
    "report.brief.map": _m(
        "方案示意图（紫色：按县定标准{standard}失去覆盖的村）",
        "The plan (purple: villages lost at the county standard {standard})",
    ),
    "report.brief.curve": _m("站点数与覆盖、用时的权衡", "Stations against coverage and travel"),
    "report.brief.lost": _m(
        "按县定标准{standard}失去覆盖的村（社区）：{n} 个", "Villages lost at {standard}: {n}"
    ),
    "report.brief.lost_more": _m(
        "（列出前 6 个，其余 {n} 个见工作簿）", " (first 6; {n} more in the workbook)"
    ),
    "report.brief.lost_name": _m("村（社区）", "Village"),
    "report.brief.lost_pop": _m("人口", "Population"),
    "report.brief.lost_beyond": _m("调整后超出标准的人口", "People beyond the standard after"),
    "report.brief.lost_min": _m("调整后平均用时（分钟）", "Mean travel after (min)"),
    "report.brief.lost_station": _m("调整后最近站点", "Nearest station after"),
    "report.brief.map_lost": _m("按{standard}失去覆盖", "lost at {standard}"),
    "report.brief.map_covered": _m("调整后{standard}内", "within {standard} after"),
    "report.brief.map_beyond": _m("调整后超出{standard}", "beyond {standard} after"),
    "report.brief.map_kept": _m("保留站点", "station kept"),
    "report.brief.map_closed": _m("撤并站点", "station closed"),
    "report.brief.map_new": _m("新设站点", "new station"),
    "report.brief.network": _m("沿路网计算", "along the road network"),
    "report.brief.straight": _m(
        "按直线距离×绕行系数估算", "straight-line distance × detour factor"
    ),
    "report.brief.method": _m(
        "方案用{model}模型，在保留必须保留的站点的前提下，选出使全县人口到站用时之和最小的站点组合；"
        "用时{measured}，规划标准{standard}，并按县定标准{county_standard}复核调整前后的覆盖；"
        "需求口径：{demand}。有 {out_of_reach} 个村（社区）离任何现有或候选站点都超出规划标准，"
        "任何方案都无法让其达标。求解结果：{solver}。",
        "The {model} model keeps the stations that must stay and picks the set that minimises "
        "the population's total travel to a station, measured {measured}, planned at {standard} "
        "and checked before and after at the county standard {county_standard}; demand: {demand}. "
        "{out_of_reach} villages are beyond the planning standard from every existing or "
        "candidate site. Solver: {solver}.",
    ),
    "report.brief.foot": _m(
        "数据日期 {date}；详细数据见 consolidation.xlsx",
        "Data as of {date}; details in consolidation.xlsx",
    ),
    # --- the reach standard in words (maps' title blocks, reports)
    "report.std.phrase": _m("{amount}出门即可达标准（{mode}）", "{amount} reach standard ({mode})"),
    "report.std.label": _m("{mode}{amount}", "{amount} {mode}"),
    "report.std.minutes": _m("{n}分钟", "{n} min"),
    "report.std.km": _m("{n}公里", "{n} km"),
    "report.std.m": _m("{n}米", "{n} m"),
    "report.mode.walk": _m("步行", "on foot"),
    "report.mode.ebike": _m("电动车", "e-bike"),
    "report.mode.car": _m("驾车", "by car"),
    "report.mode.road": _m("道路", "by road"),
    "report.mode.straight": _m("直线", "straight line"),
    "report.method.network": _m("路网", "road network"),
    "report.method.straight": _m("直线估算", "straight-line estimate"),
    # --- map title blocks (large type: read on a projector)
    "report.map.cov_title": _m(
        "{county} 代表联络站点覆盖图", "{county}: deputy liaison station coverage"
    ),
    "report.map.cov_head": _m(
        "{standard}下：覆盖 {covered}/{n} 个村（社区）（{share}）",
        "At the {standard}: {covered} of {n} villages within reach ({share})",
    ),
    "report.map.cov_people": _m(
        "人口覆盖 {share}（{covered}/{total} 人）",
        "Population within reach {share} ({covered} of {total})",
    ),
    "report.map.cov_gaps": _m("超出标准 {n} 个村（社区）", "{n} villages beyond the standard"),
    "report.map.method": _m("测算：{method}", "Travel measured: {method}"),
    "report.map.plan_title": _m(
        "{county} 代表联络站点调整方案", "{county}: deputy liaison station consolidation"
    ),
    "report.map.plan_stations": _m(
        "站点 {before} → {after}（撤并 {closed} 个{new}）",
        "Stations {before} → {after} ({closed} closed{new})",
    ),
    "report.map.plan_new": _m("，新设 {n} 个", ", {n} new"),
    "report.map.plan_county": _m("县定标准：{standard}", "County standard: {standard}"),
    "report.map.plan_planned": _m("规划标准：{standard}", "Planned at: {standard}"),
    "report.map.plan_lost": _m("失去覆盖 {lost} 个村（社区）", "{lost} villages lose coverage"),
    "report.map.plan_covered": _m(
        "覆盖 {before} → {after} 个村（社区）（{share_before} → {share_after}）",
        "Villages within reach {before} → {after} ({share_before} → {share_after})",
    ),
    "report.map.plan_gained": _m("新获覆盖 {n} 个", "{n} gained"),
    "report.map.plan_saving": _m("每年节约经费 {saving}元", "Yearly saving {saving} yuan"),
    "report.map.page_cov": _m(
        "{county}代表联络站点覆盖图（{standard}，{method}）",
        "{county} station coverage ({standard}, {method})",
    ),
    "report.map.page_plan": _m(
        "{county}代表联络站点调整方案（{standard}）", "{county} station consolidation ({standard})"
    ),
    # --- the issues layer in QGIS (dates in Beijing time)
    "report.qgis.issues": _m("群众反映问题（网格吹哨）", "Issues raised (grid whistles)"),
    "report.qgis.issue_id": _m("问题编号", "Issue"),
    "report.qgis.issue_category": _m("问题类别", "Category"),
    "report.qgis.issue_status": _m("状态代码", "Status code"),
    "report.qgis.issue_status_zh": _m("办理状态", "Status"),
    "report.qgis.issue_level": _m("办理层级", "Handled at"),
    "report.qgis.issue_unit": _m("承办单位", "Handling unit"),
    "report.qgis.issue_station": _m("站点编号", "Station"),
    "report.qgis.issue_grid": _m("网格代码", "Grid"),
    "report.qgis.issue_escalations": _m("上报次数", "Times escalated"),
    "report.qgis.issue_reopened": _m("重新办理次数", "Times reopened"),
    "report.qgis.issue_rating": _m("群众评价", "Resident's rating"),
    "report.qgis.issue_description": _m("问题描述", "Description"),
    "report.qgis.issue_created_at": _m("提出时间（北京时间）", "Raised at (Beijing time)"),
    "report.qgis.issue_updated_at": _m("最近更新（北京时间）", "Last update (Beijing time)"),
    "report.qgis.issue_closed_at": _m("办结时间（北京时间）", "Closed at (Beijing time)"),
    "report.qgis.issue_resolve_due": _m("办理期限（北京时间）", "Due (Beijing time)"),
}
