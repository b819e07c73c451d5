"""Messages of regions: many counties run on Dask (``region.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]


def _m(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


MESSAGES: dict[str, dict[str, str]] = {
    # --- reading a region
    "region.no_region": _m("找不到区域 {path}", "no region {path}"),
    "region.empty": _m(
        "{path} 中没有县级工作区（*.gpkg）或 gridgov synth 生成的分块（part-*）",
        "{path} holds no county workspaces (*.gpkg) or gridgov synth parts (part-*)",
    ),
    "region.no_layer": _m("{file} 缺少图层 {layer}", "{file} has no {layer} layer"),
    "region.bad_code": _m(
        "县级区划代码应为6位数字，实际为 {value!r}",
        "a county code is six digits, got {value!r}",
    ),
    "region.duplicate": _m(
        "县 {code} 已在 {other} 中出现，同一个县只能出现一次",
        "county {code} is already in {other}; a county may appear once",
    ),
    "region.no_county": _m("区域 {region} 中没有县 {code}", "no county {code} in region {region}"),
    "region.county_empty": _m(
        "县 {code} 在该文件中没有 {layer} 要素",
        "county {code} has no {layer} features in this file",
    ),
    "region.unknown_counties": _m(
        "--counties 中的县不在区域 {region} 中：{codes}",
        "--counties names counties not in region {region}: {codes}",
    ),
    # --- a region in PostgreSQL + PostGIS (one county per schema)
    "region.pg_unreachable": _m(
        "无法连接区域数据库 {dsn}：{error}", "cannot reach the region database {dsn}: {error}"
    ),
    "region.pg_empty": _m(
        "数据库 {dsn} 中没有县级工作区（用 gridgov db init / gridgov db import 将每个县导入各自的 schema）",
        "database {dsn} holds no county workspace (load each county into a schema of its own"
        " with gridgov db init / gridgov db import)",
    ),
    "region.pg_no_layer": _m(
        "schema {schema} 缺少图层 {layer}（请用 gridgov db import 重新导入该县）",
        "schema {schema} has no {layer} layer (import the county again with gridgov db import)",
    ),
    "region.pg_counties": _m(
        "schema {schema} 中有 {count} 个县，每个 schema 应只导入一个县",
        "schema {schema} holds {count} counties; import one county per schema",
    ),
    # --- consolidation targets
    "region.targets_missing": _m("找不到目标文件 {path}", "no targets file {path}"),
    "region.targets_encoding": _m(
        "无法识别文件编码（应为 UTF-8 或 GBK）", "the file is neither UTF-8 nor GBK text"
    ),
    "region.targets_no_column": _m(
        "缺少列 {column}（表头应为 county_code,target 或 区划代码,目标站点数）",
        "no {column} column (headers: county_code,target or 区划代码,目标站点数)",
    ),
    "region.targets_unknown": _m("县 {code} 不在该区域中", "county {code} is not in the region"),
    "region.targets_twice": _m(
        "县 {code} 已在第 {row} 行给出目标", "county {code} already has a target on row {row}"
    ),
    "region.targets_bad": _m(
        "目标站点数应为不小于1的整数，实际为 {value!r}",
        "a target is a whole number of at least 1 station, got {value!r}",
    ),
    "region.targets_needed": _m(
        "{count} 个县没有撤并目标（{codes}）：请用 --targets 文件列出，或给出规则 --keep-share / --target-per-township",
        "{count} counties have no target ({codes}): list them in --targets, or give a rule"
        " --keep-share / --target-per-township",
    ),
    "region.no_target": _m("县 {code} 没有撤并目标", "county {code} has no consolidation target"),
    "region.bad_keep_share": _m(
        "--keep-share 应在 0 到 1 之间（如 0.55），实际为 {value}",
        "--keep-share is a share between 0 and 1 (e.g. 0.55), got {value}",
    ),
    "region.bad_per_township": _m(
        "--target-per-township 应不小于1，实际为 {value}",
        "--target-per-township must be at least 1, got {value}",
    ),
    "region.bad_tier": _m(
        "--keep-tiers：{value!r} 不是站点层级", "--keep-tiers: {value!r} is not a station tier"
    ),
    # --- running
    "region.bad_workers": _m(
        "--workers 应不小于0（0 表示单进程串行），实际为 {value}",
        "--workers must be 0 (serial, in this process) or more, got {value}",
    ),
    "region.no_scheduler": _m(
        "无法连接 Dask 调度器 {address}：{error}",
        "cannot reach the Dask scheduler {address}: {error}",
    ),
    "region.county_only": _m(
        "{options} 只适用于单个县；区域的撤并目标用 --targets / --keep-share / --target-per-township",
        "{options} apply to one county only; a region's targets come from --targets /"
        " --keep-share / --target-per-township",
    ),
    "region.out_is_file": _m(
        "--out {path} 是已有文件而不是文件夹", "--out {path} is an existing file, not a folder"
    ),
    "region.pair_needs_region": _m(
        "--with-coverage 只适用于区域（县级工作区文件夹或数据库）；单个县请分别运行 gridgov coverage",
        "--with-coverage takes a region (a folder of counties or a database); for one county"
        " run gridgov coverage as well",
    ),
    "region.pair_same_out": _m(
        "--coverage-out 与 --out 不能是同一个文件夹：{path}",
        "--coverage-out and --out must be different folders, both are {path}",
    ),
    "region.progress": _m(
        "已完成 {done}/{total} 个县，未完成 {failed} 个",
        "{done}/{total} counties done, {failed} failed",
    ),
    "region.county_failed_now": _m("县 {code} 未完成", "county {code} failed"),
    "region.failed_line": _m(
        "  未完成 {code} {name}：{reason}", "  failed {code} {name}: {reason}"
    ),
    "region.coverage_line": _m(
        "区域覆盖（{engine}，{seconds} 秒）：完成 {done}/{total} 个县，村（社区）{villages} 个，"
        "覆盖率 {covered}，人口覆盖率 {population}，缺口 {gaps} 个",
        "region coverage ({engine}, {seconds} s): {done}/{total} counties, {villages} villages,"
        " {covered} covered, population {population}, gaps {gaps}",
    ),
    "region.cross_line": _m(
        "  允许跨县：村（社区）覆盖率 {covered}，新增可达 {gained} 个",
        "  across county borders: {covered} of villages covered, {gained} more villages",
    ),
    "region.consolidate_line": _m(
        "区域撤并（{engine}，{seconds} 秒）：完成 {done}/{total} 个县，站点 {before} -> {after}，"
        "年节约 {saving} 元，失去覆盖村（社区）{lost} 个",
        "region consolidation ({engine}, {seconds} s): {done}/{total} counties, stations"
        " {before} -> {after}, saving {saving} yuan/year, {lost} villages lose coverage",
    ),
    # --- outputs
    "region.totals": _m("合计", "Total"),
    "region.counties_done": _m("{done}/{total} 个县", "{done}/{total} counties"),
    "region.task_coverage": _m("代表联络站点覆盖", "station coverage"),
    "region.task_consolidate": _m(
        "站点撤并（调整后覆盖）", "station consolidation (coverage after)"
    ),
    "region.map_title": _m("各县{task}", "{task} by county"),
    "region.map_layer": _m("各县", "counties"),
    "region.map_popup": _m(
        "<b>{name}</b>（{code}）<br>村（社区）覆盖率 {share}",
        "<b>{name}</b> ({code})<br>villages covered {share}",
    ),
    "region.map_link": _m("打开本县地图", "open the county's map"),
    "region.map_failed": _m(
        "<b>{name}</b>（{code}）<br>未完成：{reason}", "<b>{name}</b> ({code})<br>failed: {reason}"
    ),
    "region.map_failed_legend": _m("未完成", "failed"),
    "region.info_head": _m(
        "区域 {region}：{counties} 个县（{files} 个文件），乡镇 {townships} 个，村（社区）{villages} 个，"
        "站点 {stations} 个，人口 {population}",
        "region {region}: {counties} counties ({files} files), {townships} townships,"
        " {villages} villages, {stations} stations, population {population}",
    ),
    "region.info_row": _m(
        "  {code} {name}：乡镇 {townships}，村（社区）{villages}，站点 {stations}，人口 {population}",
        "  {code} {name}: townships {townships}, villages {villages}, stations {stations},"
        " population {population}",
    ),
}
