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
        "population; {gaps} villages are not (see the Gaps sheet).",
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
    # --- general forms of every report
    "report.book.paren": _m("{text}（{note}）", "{text} ({note})"),
    "report.book.std_code": _m("{label}（{code}）", "{label} ({code})"),
    "report.book.sep": _m("、", ", "),
    # --- names of values (zh: the enum's label_zh, checked by tests/reports)
    "report.enum.StationTier.station": _m("联络站", "station"),
    "report.enum.StationTier.point": _m("联络点", "point"),
    "report.enum.StationTier.studio": _m("代表工作室", "deputy studio"),
    "report.enum.StationTier.post": _m("代表服务岗", "deputy service post"),
    "report.enum.StationKind.regional": _m("区域", "regional"),
    "report.enum.StationKind.industry": _m("行业", "industry"),
    "report.enum.DeputyLevel.national": _m("全国人大代表", "national deputy"),
    "report.enum.DeputyLevel.provincial": _m("省人大代表", "provincial deputy"),
    "report.enum.DeputyLevel.municipal": _m("市人大代表", "municipal deputy"),
    "report.enum.DeputyLevel.county": _m("县人大代表", "county deputy"),
    "report.enum.DeputyLevel.township": _m("乡镇人大代表", "township deputy"),
    "report.enum.VillageKind.village": _m("村", "village"),
    "report.enum.VillageKind.community": _m("社区", "community"),
    # consolidation models (zh: gridgov.coverage.consolidate's model_zh)
    "report.model.p-median": _m("总路程最小（p-中位）", "least total travel (p-median)"),
    "report.model.p-median-full": _m(
        "全覆盖下总路程最小（p-中位+全覆盖）",
        "least total travel with every village covered (p-median + full coverage)",
    ),
    "report.model.mclp": _m("覆盖人口最多（最大覆盖）", "most people covered (maximal covering)"),
    "report.model.lscp": _m(
        "全覆盖所需站点最少（集合覆盖）", "fewest stations covering everyone (set covering)"
    ),
    "report.model.p-center": _m("最远用时最小（p-中心）", "shortest longest travel (p-center)"),
    "report.method.network_long": _m("路网计算", "along the road network"),
    "report.method.straight_long": _m(
        "直线距离×绕行系数估算（无路网）",
        "straight-line distance × detour factor (no road network)",
    ),
    "report.method.straight_detour": _m(
        "直线距离×绕行系数估算", "straight-line distance × detour factor"
    ),
    "report.method.straight_short": _m("直线距离估算", "straight-line estimate"),
    # --- sheet names (at most 31 characters: Excel's limit)
    "report.tab.summary": _m("概况", "Summary"),
    "report.tab.villages": _m("村（社区）", "Villages"),
    "report.tab.stations": _m("站点", "Stations"),
    "report.tab.gaps": _m("缺口", "Gaps"),
    "report.tab.deputies": _m("代表编组", "Deputy grouping"),
    "report.tab.method": _m("方法说明", "Method"),
    "report.tab.lost": _m("县定标准下失去覆盖", "Lost at county standard"),
    "report.tab.before_after": _m("调整前后对比", "Before and after"),
    "report.tab.station_changes": _m("站点调整", "Station changes"),
    "report.tab.absorb": _m("撤并去向", "Where closed go"),
    "report.tab.townships": _m("各乡镇站点", "Stations by township"),
    "report.tab.curve": _m("站点数权衡", "Trade-off"),
    "report.tab.stat_summary": _m("汇总", "Summary"),
    "report.tab.by_station": _m("按站点", "By station"),
    "report.tab.by_township": _m("按乡镇", "By township"),
    "report.tab.by_category": _m("按类别", "By category"),
    "report.tab.by_deputy": _m("按代表", "By deputy"),
    # --- column headers; the English ones must get the same number format as the Chinese
    # (gridgov.io._workbook: "(min)"/"travel" minutes, "share"/"rate" percent,
    # "population"/"number of"/"(m)" counts), which tests/reports checks column by column
    "report.col.code": _m("区划代码", "Division code"),
    "report.col.village": _m("村（社区）", "Village"),
    "report.col.township_code": _m("所属乡镇代码", "Township code"),
    "report.col.village_kind": _m("类型", "Type"),
    "report.col.population": _m("人口", "Population"),
    "report.col.nearest_id": _m("最近站点编号", "Nearest station ID"),
    "report.col.nearest": _m("最近站点", "Nearest station"),
    "report.col.nearest_tier": _m("站点层级", "Station tier"),
    "report.col.travel_m": _m("路程（米）", "Distance (m)"),
    "report.col.travel_min": _m("用时（分钟）", "Travel (min)"),
    "report.col.travel_s": _m("用时（秒）", "Travel (s)"),
    "report.col.covered": _m("是否达标", "Within reach"),
    "report.col.population_covered": _m("达标人口", "Population within reach"),
    "report.col.share_covered": _m("达标人口比例", "Share of population within reach"),
    "report.col.has_station": _m("村内有站点", "Station in the village"),
    "report.col.meets_rule": _m("符合“一村一点”", "A point in the village"),
    "report.col.station_id": _m("站点编号", "Station ID"),
    "report.col.station_name": _m("站点名称", "Station name"),
    "report.col.tier": _m("层级", "Tier"),
    "report.col.station_kind": _m("类别", "Kind"),
    "report.col.industry": _m("行业", "Industry"),
    "report.col.reception_day": _m("接待日", "Reception day"),
    "report.col.n_villages": _m("服务村（社区）数", "Number of villages served"),
    "report.col.population_served": _m("服务人口", "Population served"),
    "report.col.n_deputies": _m("代表人数", "Number of deputies"),
    "report.col.deputies_by_level": _m("代表构成", "Deputies by level"),
    "report.col.population_per_deputy": _m("每名代表服务人口", "Population per deputy"),
    "report.col.rank": _m("排序", "Rank"),
    "report.col.population_uncovered": _m("未达标人口", "Population beyond reach"),
    "report.col.new_site_lon": _m("建议新设点经度", "Suggested new site longitude"),
    "report.col.new_site_lat": _m("建议新设点纬度", "Suggested new site latitude"),
    "report.col.new_site_source": _m("建议新设点（自然村）", "Suggested new site (settlement)"),
    "report.col.new_site_population": _m("新设点可覆盖人口", "Population a new site would cover"),
    "report.col.deputy_id": _m("代表编号", "Deputy ID"),
    "report.col.deputy_name": _m("姓名", "Name"),
    "report.col.deputy_level": _m("代表层级", "Deputy level"),
    "report.col.specialty": _m("专业/行业", "Field or industry"),
    "report.col.deputy_station_before": _m("原站点", "Station before"),
    "report.col.deputy_station_after": _m("编入站点", "Station after"),
    "report.col.moved": _m("是否调整", "Moved"),
    "report.col.reason": _m("原因", "Reason"),
    "report.col.decision": _m("调整结果", "Decision"),
    "report.col.decision_code": _m("调整结果（代码）", "Decision (code)"),
    "report.col.why": _m("理由", "Why"),
    "report.col.into_id": _m("并入站点编号", "Merged into (ID)"),
    "report.col.into": _m("并入站点", "Merged into"),
    "report.col.between_min": _m("两站间用时（分钟）", "Travel between the stations (min)"),
    "report.col.between_s": _m("两站间用时（秒）", "Travel between the stations (s)"),
    "report.col.villages_before": _m("调整前服务村（社区）数", "Number of villages served before"),
    "report.col.villages_after": _m("调整后服务村（社区）数", "Number of villages served after"),
    "report.col.population_before": _m("调整前服务人口", "Population served before"),
    "report.col.population_after": _m("调整后服务人口", "Population served after"),
    "report.col.deputies_before": _m("调整前代表数", "Number of deputies before"),
    "report.col.deputies_after": _m("调整后代表数", "Number of deputies after"),
    "report.col.kept": _m("是否保留", "Kept"),
    "report.col.new_site": _m("是否新设", "New"),
    "report.col.tier_text": _m("层级（中文）", "Tier (Chinese)"),
    "report.col.closed_id": _m("撤并站点编号", "Closed station ID"),
    "report.col.closed": _m("撤并站点", "Closed station"),
    "report.col.closed_tier": _m("撤并站点层级", "Closed station tier"),
    "report.col.moved_n_villages": _m("转入村（社区）数", "Number of villages moved"),
    "report.col.moved_villages": _m("转入村（社区）", "Villages moved"),
    "report.col.moved_n_grids": _m("转入网格数", "Number of grids moved"),
    "report.col.moved_n_deputies": _m("转入代表数", "Number of deputies moved"),
    "report.col.moved_population": _m("转入人口", "Population moved"),
    "report.col.station_before": _m("调整前站点", "Station before"),
    "report.col.station_before_id": _m("调整前站点编号", "Station before (ID)"),
    "report.col.before_min": _m("调整前用时（分钟）", "Travel before (min)"),
    "report.col.before_s": _m("调整前用时（秒）", "Travel before (s)"),
    "report.col.covered_before": _m("调整前达标", "Within reach before"),
    "report.col.station_after_id": _m("调整后站点编号", "Station after (ID)"),
    "report.col.station_after": _m("调整后站点", "Station after"),
    "report.col.after_min": _m("调整后用时（分钟）", "Travel after (min)"),
    "report.col.after_s": _m("调整后用时（秒）", "Travel after (s)"),
    "report.col.travel_m_after": _m("调整后路程（米）", "Distance after (m)"),
    "report.col.covered_after": _m("调整后达标", "Within reach after"),
    "report.col.change": _m("覆盖变化", "Coverage change"),
    "report.col.change_code": _m("覆盖变化（代码）", "Coverage change (code)"),
    "report.col.town_code": _m("乡镇代码", "Township code"),
    "report.col.town_name": _m("乡镇（街道）", "Township"),
    "report.col.stations_before": _m("调整前站点数", "Number of stations before"),
    "report.col.stations_after": _m("调整后站点数", "Number of stations after"),
    "report.col.kept_must": _m("必须保留", "Kept (must stay)"),
    "report.col.n_closed": _m("撤并", "Closed"),
    "report.col.n_new": _m("新设", "New"),
    "report.col.p": _m("站点数", "Number of stations"),
    "report.col.curve_share": _m("最多可达标人口比例", "Largest share of population within reach"),
    "report.col.curve_population": _m("最多可达标人口", "Largest population within reach"),
    "report.col.curve_villages": _m("达标村（社区）数", "Number of villages within reach"),
    "report.col.curve_mean": _m(
        "最短人口加权平均用时（分钟）", "Shortest mean travel, population-weighted (min)"
    ),
    "report.col.curve_feasible": _m(
        "能否覆盖全部可达村（社区）", "Can cover every reachable village"
    ),
    "report.col.curve_mean_full": _m(
        "全部可达村（社区）达标时平均用时（分钟）",
        "Mean travel with every reachable village covered (min)",
    ),
    "report.col.curve_max": _m("最远居民点用时（分钟）", "Farthest settlement's travel (min)"),
    "report.col.curve_need": _m(
        "全部可达村（社区）达标所需最少站点数",
        "Number of stations needed to cover every reachable village",
    ),
    "report.col.covered_text": _m("是否达标（文字）", "Within reach (text)"),
    "report.col.kind_text": _m("类型（中文）", "Type (Chinese)"),
    "report.col.nearest_tier_text": _m("站点层级（中文）", "Station tier (Chinese)"),
    "report.col.before": _m("调整前", "Before"),
    "report.col.after": _m("调整后", "After"),
    "report.col.delta": _m("变化", "Change"),
    # --- decisions and coverage changes of a plan
    "report.decision.kept (must)": _m("必须保留", "kept (must stay)"),
    "report.decision.kept": _m("保留", "kept"),
    "report.decision.closed": _m("撤并", "closed"),
    "report.decision.closed (must)": _m("按要求撤并", "closed (as required)"),
    "report.decision.new": _m("新设", "new"),
    "report.change.lost": _m("失去覆盖", "loses coverage"),
    "report.change.gained": _m("新增覆盖", "gains coverage"),
    "report.change.same": _m("不变", "unchanged"),
    # --- the coverage summary sheet (概况)
    "report.cov.s_villages": _m("村（社区）数", "Number of villages"),
    "report.cov.s_covered": _m("达标村（社区）数", "Number of villages within reach"),
    "report.cov.s_share": _m("村（社区）达标率", "Share of villages within reach"),
    "report.cov.s_rule": _m(
        "符合“一村一点”的村（社区）数", "Number of villages with a point in the village"
    ),
    "report.cov.s_population": _m("总人口", "Population"),
    "report.cov.s_pop_covered": _m("达标人口", "Population within reach"),
    "report.cov.s_pop_share": _m("人口达标率", "Share of population within reach"),
    "report.cov.s_mean": _m("人口加权平均用时（分钟）", "Mean travel, population-weighted (min)"),
    "report.cov.s_p95": _m(
        "人口加权95%分位用时（分钟）", "95th percentile travel, population-weighted (min)"
    ),
    "report.cov.s_worst": _m("用时最长的村（社区）", "Village with the longest travel"),
    "report.cov.s_worst_mean": _m(
        "该村（社区）人口加权平均用时（分钟）", "Its mean travel, population-weighted (min)"
    ),
    "report.cov.s_stations": _m("站点数", "Number of stations"),
    "report.cov.s_gaps": _m("缺口村（社区）数", "Number of villages beyond reach"),
    # --- the consolidation summary (概况) and method (方法说明) sheets
    "report.plan.s_before": _m("调整前站点数", "Stations before"),
    "report.plan.s_after": _m("调整后站点数", "Stations after"),
    "report.plan.s_closed": _m("撤并站点数", "Stations closed"),
    "report.plan.s_new": _m("新设站点数", "New stations"),
    "report.plan.s_must": _m("其中必须保留", "Of which must stay"),
    "report.plan.s_saving": _m("年运行经费节约（元）", "Yearly saving (yuan)"),
    "report.plan.s_c_before": _m(
        "按县定标准（{standard}）达标村（社区）数：调整前",
        "Villages within the county standard ({standard}): before",
    ),
    "report.plan.s_c_after": _m(
        "按县定标准（{standard}）达标村（社区）数：调整后",
        "Villages within the county standard ({standard}): after",
    ),
    "report.plan.s_c_lost": _m(
        "按县定标准（{standard}）失去覆盖的村（社区）数",
        "Villages losing coverage at the county standard ({standard})",
    ),
    "report.plan.s_c_pop_before": _m(
        "按县定标准（{standard}）人口达标率：调整前",
        "Share of population within the county standard ({standard}): before",
    ),
    "report.plan.s_c_pop_after": _m(
        "按县定标准（{standard}）人口达标率：调整后",
        "Share of population within the county standard ({standard}): after",
    ),
    "report.plan.s_p_before": _m(
        "按规划标准（{standard}）村（社区）达标率：调整前",
        "Share of villages within the planning standard ({standard}): before",
    ),
    "report.plan.s_p_after": _m(
        "按规划标准（{standard}）村（社区）达标率：调整后",
        "Share of villages within the planning standard ({standard}): after",
    ),
    "report.plan.s_p_lost": _m(
        "按规划标准（{standard}）失去覆盖的村（社区）数",
        "Villages losing coverage at the planning standard ({standard})",
    ),
    "report.plan.s_p_pop_before": _m(
        "按规划标准（{standard}）人口达标率：调整前",
        "Share of population within the planning standard ({standard}): before",
    ),
    "report.plan.s_p_pop_after": _m(
        "按规划标准（{standard}）人口达标率：调整后",
        "Share of population within the planning standard ({standard}): after",
    ),
    "report.plan.s_mean_before": _m(
        "人口加权平均用时（分钟）：调整前", "Mean travel, population-weighted (min): before"
    ),
    "report.plan.s_mean_after": _m(
        "人口加权平均用时（分钟）：调整后", "Mean travel, population-weighted (min): after"
    ),
    "report.plan.s_unreachable": _m(
        "任何站点都无法在{standard}内到达的村（社区）数",
        "Number of villages no site reaches within {standard}",
    ),
    "report.plan.s_quality": _m("方案质量", "Plan quality"),
    "report.plan.m_model": _m("模型", "Model"),
    "report.plan.m_unreachable": _m(
        "任何站点都无法在{standard}内到达的村（社区）", "Villages no site reaches within {standard}"
    ),
    "report.plan.m_note": _m("说明", "Note"),
    "report.plan.m_objective": _m(
        "目标值（人口×用时之和，人·秒）", "Objective (sum of population × travel, person-seconds)"
    ),
    "report.plan.m_bound": _m("已证明的下界", "Proven lower bound"),
    "report.plan.m_gap": _m("最优性差距", "Optimality gap"),
    "report.plan.m_proven": _m("是否证明最优", "Proven optimal"),
    "report.plan.m_status": _m("求解器状态", "Solver status"),
    "report.plan.m_solver": _m("求解方法", "Solver method"),
    "report.plan.m_time": _m("求解用时（秒）", "Solver time (s)"),
    # the before/after sheet's rows (zh: the plan's label_zh)
    "report.ba.stations": _m("站点数", "Stations"),
    "report.ba.villages_covered": _m("达标村（社区）数", "Villages within reach"),
    "report.ba.share_villages_covered": _m("村（社区）达标率", "Share of villages within reach"),
    "report.ba.population_covered": _m("达标人口", "Population within reach"),
    "report.ba.share_population_covered": _m("人口达标率", "Share of population within reach"),
    "report.ba.mean_travel_min": _m(
        "人口加权平均用时（分钟）", "Mean travel, population-weighted (min)"
    ),
    "report.ba.p95_travel_min": _m(
        "95%人口用时不超过（分钟）", "95% of people travel at most (min)"
    ),
    "report.ba.worst_village": _m("用时最长的村（社区）", "Village with the longest travel"),
    "report.ba.worst_travel_min": _m("该村（社区）平均用时（分钟）", "Its mean travel (min)"),
    "report.ba.annual_cost_yuan": _m("年运行经费（元）", "Yearly running cost (yuan)"),
    "report.ba.deputies_per_station_min": _m("每站代表数（最少）", "Deputies per station (fewest)"),
    "report.ba.deputies_per_station_mean": _m("每站代表数（平均）", "Deputies per station (mean)"),
    "report.ba.deputies_per_station_max": _m("每站代表数（最多）", "Deputies per station (most)"),
    # --- issue statistics sheets
    "report.stat.start": _m("统计起始（含）", "Window start (inclusive)"),
    "report.stat.end": _m("统计截止（不含）", "Window end (exclusive)"),
    "report.stat.received": _m("收集问题（件）", "Issues received"),
    "report.stat.settled": _m("办结（件）", "Settled"),
    "report.stat.settle_rate": _m("办结率", "Settle rate"),
    "report.stat.on_time": _m("按期办结（件）", "Settled on time"),
    "report.stat.on_time_rate": _m("按期办结率", "On-time rate"),
    "report.stat.rated": _m("已评价（件）", "Rated"),
    "report.stat.satisfied": _m("满意（含基本满意）（件）", "Satisfied (incl. basically)"),
    "report.stat.satisfaction_rate": _m("满意率", "Satisfaction rate"),
    "report.stat.unsatisfied": _m("不满意（件）", "Unsatisfied"),
    "report.stat.reopened": _m("重新办理（件）", "Reopened"),
    "report.stat.escalated": _m("逐级上报（件）", "Escalated"),
    "report.stat.open_backlog": _m("未办结（件）", "Still open"),
    "report.stat.merged": _m("合并重复（件）", "Merged duplicates"),
    "report.stat.mean_hours_to_acknowledge": _m(
        "平均签收时长（小时）", "Mean time to acknowledge (h)"
    ),
    "report.stat.mean_hours_to_resolve": _m("平均办结时长（小时）", "Mean time to settle (h)"),
    "report.stat.deputy_visits": _m("代表报到（人次）", "Deputy visits"),
    "report.stat.unit_station": _m("站点编号", "Station ID"),
    "report.stat.unit_township": _m("乡镇代码", "Township code"),
    "report.stat.unit_county": _m("区划代码", "Division code"),
    "report.stat.unit_category": _m("类别代码", "Category code"),
    "report.stat.unit_deputy": _m("代表编号", "Deputy ID"),
    "report.stat.name_station": _m("站点名称", "Station"),
    "report.stat.name_township": _m("乡镇（街道）", "Township"),
    "report.stat.name_county": _m("县（市、区）", "County"),
    "report.stat.name_category": _m("问题类别", "Category"),
    "report.stat.name_deputy": _m("姓名", "Name"),
    "report.stat.unplaced": _m("（未定位）", "(not located)"),
    "report.stat.tier": _m("层级", "Tier"),
    "report.stat.station_township": _m("所属乡镇（街道）", "Township"),
    "report.stat.level": _m("代表层级", "Deputy level"),
    "report.stat.deputy_station": _m("所属站点", "Station"),
    # --- maps: layer names, tooltip and popup rows, legends
    "report.map.layer_travel_time": _m("村（社区）通行时间", "Villages: travel time"),
    "report.map.layer_travel_distance": _m("村（社区）通行距离", "Villages: travel distance"),
    "report.map.layer_stations": _m("代表联络站点", "Deputy liaison stations"),
    "report.map.layer_areas": _m("服务范围（{standard}）", "Service areas ({standard})"),
    "report.map.layer_escalation": _m(
        "逐级上报路径（网格→站点→乡镇→县）", "Escalation paths (grid → station → township → county)"
    ),
    "report.map.layer_townships": _m("乡镇界", "Township boundaries"),
    "report.map.layer_county": _m("县界", "County boundary"),
    "report.map.layer_town_names": _m("乡镇名称", "Township names"),
    "report.map.layer_deputies": _m("人大代表（住址约百米）", "Deputies (homes to about 100 m)"),
    "report.map.layer_sites": _m("建议新设点", "Suggested new sites"),
    "report.map.layer_closed": _m("撤并站点", "Closed stations"),
    "report.map.layer_absorb": _m("撤并去向", "Where closed stations go"),
    "report.map.view_layer": _m("{view}：{name}", "{view}: {name}"),
    "report.map.after": _m("调整后", "After"),
    "report.map.before": _m("调整前", "Before"),
    "report.map.before_after": _m("　调整前 → 调整后", "  before → after"),
    "report.map.row_township": _m("乡镇", "Township"),
    "report.map.row_population": _m("人口", "Population"),
    "report.map.row_travel": _m("通行", "Travel"),
    "report.map.row_nearest": _m("最近站点", "Nearest station"),
    "report.map.row_covered": _m("覆盖人口", "Population within reach"),
    "report.map.row_tier": _m("层级", "Tier"),
    "report.map.row_station_township": _m("所属乡镇", "Township"),
    "report.map.row_deputies": _m("驻站代表", "Deputies here"),
    "report.map.row_reception": _m("接待日", "Reception day"),
    "report.map.row_served": _m("服务人口", "Population served"),
    "report.map.row_villages": _m("服务村（社区）", "Villages served"),
    "report.map.row_before": _m("调整前", "Before"),
    "report.map.row_after": _m("调整后", "After"),
    "report.map.row_decision": _m("调整", "Decision"),
    "report.map.row_why": _m("理由", "Why"),
    "report.map.row_into": _m("并入", "Merged into"),
    "report.map.row_between": _m("站间通行", "Travel between stations"),
    "report.map.row_moved_villages": _m("迁移村（社区）", "Villages moved"),
    "report.map.row_moved_grids": _m("迁移网格", "Grids moved"),
    "report.map.row_moved_deputies": _m("迁移代表", "Deputies moved"),
    "report.map.row_moved_people": _m("涉及人口", "People affected"),
    "report.map.people": _m("{n}人", "{n} people"),
    "report.map.items": _m("{n}个", "{n}"),
    "report.map.deputies": _m("{n}名", "{n} deputies"),
    "report.map.about_min": _m("约{n}分钟", "about {n} min"),
    "report.map.sep": _m("，", ", "),
    "report.map.unreachable": _m("无法到达", "unreachable"),
    "report.map.beyond": _m("超出标准", "beyond the standard"),
    "report.map.unset": _m("未定", "not set"),
    "report.map.industry": _m("（{industry}行业）", " ({industry} industry)"),
    "report.map.level_count": _m("{level}{n}", "{level} {n}"),
    "report.map.level.national": _m("全国", "national"),
    "report.map.level.provincial": _m("省", "provincial"),
    "report.map.level.municipal": _m("市", "municipal"),
    "report.map.level.county": _m("县", "county"),
    "report.map.level.township": _m("乡镇", "township"),
    "report.map.esc.grid": _m("网格", "grid"),
    "report.map.esc.station": _m("联络站点", "station"),
    "report.map.esc.township": _m("乡镇（街道）人大", "township congress"),
    "report.map.esc.county": _m("县人大常委会", "county standing committee"),
    "report.map.esc.external": _m("外部平台", "outside platform"),
    "report.map.esc_levels": _m("{a}→{b}", "{a} → {b}"),
    "report.map.ungrouped": _m("未编组", "not grouped"),
    "report.map.deputies_head": _m("人大代表", "Deputies"),
    "report.map.other_head": _m("其他", "Other"),
    "report.map.site": _m("建议新设点：{name}", "Suggested new site: {name}"),
    "report.map.site_gain": _m("可新覆盖约{n}人", "would newly cover about {n} people"),
    "report.map.lost_note": _m("调整后失去覆盖（调整前已覆盖）", "loses coverage (covered before)"),
    "report.map.gained_note": _m("调整后新获覆盖", "gains coverage"),
    "report.map.change_head": _m("覆盖变化", "Coverage change"),
    "report.map.lost_row": _m("调整后失去覆盖", "Lose coverage"),
    "report.map.gained_row": _m("调整后新获覆盖", "Gain coverage"),
    "report.map.new_row": _m("新设站点", "New stations"),
    "report.map.closed_row": _m("撤并站点（灰色）", "Closed stations (grey)"),
    "report.map.absorb_row": _m(
        "撤并去向（连至并入站点）", "Where closed stations go (line to the station kept)"
    ),
    "report.map.station": _m("站点", "station"),
    "report.map.new_station": _m("新设{tier}", "new {tier}"),
    "report.map.into_about": _m("（约{n}分钟）", " (about {n} min)"),
    "report.map.closed_tip": _m("{name}（撤并）", "{name} (closed)"),
    "report.map.closed_card": _m("撤并：{name}", "Closed: {name}"),
    "report.map.decision.kept (must)": _m("保留（必保）", "kept (must stay)"),
    "report.map.decision.kept": _m("保留", "kept"),
    "report.map.decision.closed": _m("撤并", "closed"),
    "report.map.decision.closed (must)": _m("撤并（指定）", "closed (as required)"),
    "report.map.decision.new": _m("新设", "new"),
    # --- why each station and deputy is where the plan puts them (理由 / 原因 columns)
    "report.reason.kept_must": _m("必须保留（{why}）", "must stay ({why})"),
    "report.reason.kept": _m(
        "优化选中保留：服务人口多、路程短",
        "kept by the optimisation: many people served, short travel",
    ),
    "report.reason.closed": _m(
        "撤并：其服务村（社区）、网格和代表由并入站点承接",
        "closed: its villages, grids and deputies go to the station it merges into",
    ),
    "report.reason.closed_must": _m("按要求撤并", "closed as required"),
    "report.reason.new": _m(
        "新设站点：补足覆盖或缩短路程", "new site: fills a coverage gap or shortens travel"
    ),
    "report.reason.why.station": _m("乡镇（街道）联络站", "township liaison station"),
    "report.reason.why.studio": _m("专业代表工作室", "deputies' studio"),
    "report.reason.why.post": _m("服务岗", "service post"),
    "report.reason.why.other": _m("指定保留", "kept as required"),
    "report.reason.merged": _m(
        "原站点{closed}撤并，并入{into}", "former station {closed} closed, merged into {into}"
    ),
    "report.reason.sep": _m("；", "; "),
    "report.group.minutes": _m("{m:.1f}分钟", "{m:.1f} min"),
    "report.group.unplaced": _m(
        "无路网可达站点，未能编组", "no station reachable by road: not grouped"
    ),
    "report.group.industry_stays": _m(
        "保留在行业站点：{industry}", "stays at the industry station: {industry}"
    ),
    "report.group.industry_by_specialty": _m(
        "按专业编入行业站点：{industry}{here}",
        "placed by specialty at the industry station: {industry}{here}",
    ),
    "report.group.here": _m("（{minutes}）", " ({minutes})"),
    "report.group.no_road_stays": _m(
        "无路网可达站点，保留原站点", "no station reachable by road: stays at its station"
    ),
    "report.group.no_road_placed": _m(
        "无路网可达站点，按不可达代价（{minutes}）编入{station}",
        "no station reachable by road: placed at {station} at the unreachable cost ({minutes})",
    ),
    "report.group.nearest": _m(
        "就近编组：距离最近（{minutes}）", "grouped by nearness: the nearest station ({minutes})"
    ),
    "report.group.industry_full": _m(
        "{specialty}行业站点已满（上限{cap}名），{rest}",
        "the {specialty} industry station is full (at most {cap}), {rest}",
    ),
    "report.group.industry_unreachable": _m(
        "{specialty}行业站点无路网可达，{rest}",
        "the {specialty} industry station is not reachable by road, {rest}",
    ),
    "report.group.under": _m(
        "；本站仅{load}名代表，不足最少{lo}名",
        "; this station has only {load} deputies, fewer than the {lo} it needs",
    ),
    "report.group.over": _m(
        "；本站{load}名代表，超出上限{hi}名",
        "; this station has {load} deputies, more than its {hi} at most",
    ),
    "report.group.all_full": _m("（可达站点均已满）", " (every reachable station is full)"),
    "report.group.second": _m("次近站点", "the second nearest station"),
    "report.group.nth": _m("第{k}近站点", "the station {k}th nearest"),
    "report.group.nearest_full": _m(
        "最近站点{station}已满（上限{hi}名），改入{which}（多{extra}）",
        "the nearest station {station} is full (at most {hi}): placed at {which} ({extra} more)",
    ),
    "report.group.for_rota": _m(
        "为满足{station}最少{lo}名代表的接待轮值而调入（比最近站点多{extra}）",
        "moved in so that {station} has the {lo} deputies its reception rota needs ({extra} more than the nearest)",
    ),
    "report.group.balance": _m(
        "为平衡各站人数而调整（比最近站点多{extra}）",
        "moved to even out the stations' numbers ({extra} more than the nearest)",
    ),
    # --- the one-line summaries the coverage and consolidate commands print
    "report.console.coverage": _m(
        "覆盖（{standard}，{method}）：达标村（社区） {covered}/{villages}（{share}），达标人口 {population}，"
        "平均用时 {mean} 分钟，95%人口 {p95} 分钟内，缺口 {gaps} 个",
        "coverage ({standard}, {method}): villages {covered}/{villages} ({share}), population "
        "{population}, mean {mean} min, p95 {p95} min, gaps {gaps}",
    ),
    "report.console.county": _m(
        "县定标准 {standard}：{lost} 个村（社区）失去覆盖{names}，达标村（社区） {before} → {after}，"
        "达标人口 {pop_before} → {pop_after}",
        "county standard {standard}: {lost} villages lose coverage{names}, villages covered "
        "{before} -> {after}, population {pop_before} -> {pop_after}",
    ),
    "report.console.names": _m("（{names}{more}）", " ({names}{more})"),
    "report.console.plan": _m(
        "撤并（{standard}，{model}）：站点 {before} → {after}（撤并 {closed}，新设 {new}），"
        "村（社区）达标率 {share_before} → {share_after}，失去覆盖 {lost} 个，平均用时 "
        "{mean_before} → {mean_after} 分钟，年节省 {saving} 元，{solver}，{exceptions} 个村（社区）任何站点都达不到",
        "consolidation ({standard}, {model}): stations {before} -> {after} ({closed} closed, "
        "{new} new), villages covered {share_before} -> {share_after}, {lost} lost, mean "
        "{mean_before} -> {mean_after} min, saving {saving} yuan/year, {solver}, {exceptions} "
        "villages out of reach of any site",
    ),
}
