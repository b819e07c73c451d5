"""The message catalogue: every key with its Chinese and English template.

Keys are ``area.what``: ``validate.*`` (problems found in an input), ``load.*`` (reading
files into a workspace), ``note.*`` (what the loader derived or matched, said so the planner
can check it), ``report.*`` (the grouped problem report and ``problems.xlsx``), ``info.*``
(``gridgov info``) and ``cli.*`` (the command line's own lines). Both templates of a key
name the same placeholders; a value that reads differently per language is a
:class:`~gridgov.messages.Term` (``{column}`` short, ``{column:long}`` long).
"""

from __future__ import annotations

__all__ = ["MESSAGES"]

MESSAGES: dict[str, dict[str, str]] = {
    # --- one layer ---------------------------------------------------------------------------
    "validate.no_geometry": {
        "zh": "图层没有几何列（没有坐标或边界）",
        "en": "the layer has no geometry column",
    },
    "validate.missing_crs": {
        "zh": "缺少坐标系：文件没有说明使用哪种坐标系"
        "（请补上 .prj 文件，或用 --source-crs wgs84/cgcs2000/gcj02/bd09 指定）",
        "en": "missing CRS: the file does not say which coordinate system it uses "
        "(add a .prj, or name it with --source-crs wgs84/cgcs2000/gcj02/bd09)",
    },
    "validate.required_column": {
        "zh": "缺少必填列“{column:long}”；文件中的列：{present}",
        "en": "required column {column:long} is missing; columns present: {present}",
    },
    "validate.duplicate": {
        "zh": "{column}重复：{first} 和 {second} 两行相同",
        "en": "duplicate {column}: rows {first} and {second} both use it",
    },
    "validate.duplicate_named": {
        "zh": "{column}重复：{first} 和 {second} 两行相同（{first_name} 与 {second_name}）",
        "en": "duplicate {column}: rows {first} and {second} both use it "
        "({first_name} and {second_name})",
    },
    "validate.geometry_missing": {
        "zh": "缺少几何（没有坐标或边界）",
        "en": "geometry is missing",
    },
    "validate.geometry_empty": {"zh": "几何为空", "en": "geometry is empty"},
    "validate.geometry_type": {
        "zh": "{layer}图层应为{types}",
        "en": "{layer} must be {types} geometries",
    },
    "validate.geometry_unrepairable": {
        "zh": "几何无效且无法修复（make_valid 之后什么也不剩）",
        "en": "invalid geometry could not be repaired (nothing left after make_valid)",
    },
    "validate.geometry_repaired": {
        "zh": "无效几何已用 make_valid 修复",
        "en": "invalid geometry repaired with make_valid",
    },
    "validate.geometry_invalid": {
        "zh": "几何无效：{reason}（请修复，或加 --fix 导入）",
        "en": "invalid geometry: {reason} (repair it, or load with --fix)",
    },
    "validate.swapped": {
        "zh": "经度和纬度似乎填反了（互换后落在中国境内）",
        "en": "longitude and latitude look swapped (the point lands in China if exchanged)",
    },
    "validate.outside_china": {
        "zh": "坐标在中国境外（请检查坐标系和单位）",
        "en": "coordinates are outside China (check the coordinate system and units)",
    },
    # --- values ------------------------------------------------------------------------------
    "validate.not_number": {"zh": "{column}不是数字", "en": "{column} is not a number"},
    "validate.not_whole": {"zh": "{column}应为整数", "en": "{column} must be a whole number"},
    "validate.below_minimum": {
        "zh": "{column}不能小于 {minimum}",
        "en": "{column} must be at least {minimum}",
    },
    "validate.not_yes_no": {
        "zh": "{column}应填 是/否（或 true/false、1/0）",
        "en": "{column} must be yes/no (是/否, true/false, 1/0)",
    },
    "validate.required_empty": {
        "zh": "{column:long}为必填项，此处为空",
        "en": "{column:long} is required but empty",
    },
    "validate.scientific": {
        "zh": "{column}是 Excel 科学计数法，已丢失数字；"
        "请把该列设为文本格式，重新填写 {length} 位{level}代码",
        "en": "{column} looks like Excel scientific notation, which loses digits; "
        "format the column as text and re-enter the {length}-digit {level} code",
    },
    "validate.bad_code": {
        "zh": "{column}应为 {length} 位{level}区划代码",
        "en": "{column} must be a {length}-digit {level} division code",
    },
    "validate.bad_enum": {
        "zh": "{what}“{value}”无法识别；可填：{accepted}",
        "en": "{value!r} is not a {what}; expected one of {accepted}",
    },
    # --- references between layers ----------------------------------------------------------
    "validate.township_outside_county": {
        "zh": "乡镇代码不以县代码 {codes} 开头",
        "en": "township code does not start with the county code {codes}",
    },
    "validate.village_not_nested": {
        "zh": "村代码不以其所属乡镇代码 {township} 开头",
        "en": "village code does not start with its township_code {township}",
    },
    "validate.unknown_reference": {
        "zh": "{column}“{value}”不在{layer}图层中",
        "en": "{column} {value} is not in the {layer} layer",
    },
    "validate.ambiguous_name": {
        "zh": "{column}“{value}”对应多个{layer}：{candidates}；请改填代码或编号",
        "en": "{column} '{value}' matches several {layer}: {candidates}; give the code instead",
    },
    "validate.cannot_derive": {
        "zh": "缺少{column:long}，也没有{layer}图层可以推得",
        "en": "{column:long} is missing and there is no {layer} layer to derive it from",
    },
    "validate.outside_parent": {
        "zh": "{column}为空，且不在任何{layer}范围内，无法推得",
        "en": "{column} is empty and the feature lies in no {layer}, so it cannot be derived",
    },
    "validate.industry_unnamed": {
        "zh": "行业站必须写明所属行业（行业列）",
        "en": "an industry station (行业站) must name its industry",
    },
    "validate.industry_no_column": {
        "zh": "有 {count} 个行业站，但没有“行业”列",
        "en": "{count} industry station(s) but no industry column (行业)",
    },
    "validate.station_village_elsewhere": {
        "zh": "所在村代码不属于站点的所属乡镇 {township}",
        "en": "village_code is not in the station's township {township}",
    },
    "validate.no_grids_layer": {
        "zh": "代表填写了联系网格，但工作区没有网格图层",
        "en": "deputies name grids (grid_codes) but the workspace has no grids layer",
    },
    "validate.unknown_grids": {
        "zh": "网格 {codes} 不在网格图层中",
        "en": "grid(s) {codes} not in the grids layer",
    },
    # --- where features lie ------------------------------------------------------------------
    "validate.outside_county": {
        "zh": "位于县界外 {distance_m} 米（容差 {tolerance_m} 米）",
        "en": "lies {distance_m} m outside the county outline (tolerance {tolerance_m} m)",
    },
    "validate.station_no_township": {
        "zh": "站点不在任何乡镇（街道）范围内",
        "en": "station is not inside any township",
    },
    "validate.station_other_township": {
        "zh": "站点位于 {name}（{code}），而不在所填的所属乡镇 {claimed}",
        "en": "station lies in township {name} ({code}), not in its township_code {claimed}",
    },
    "validate.settlement_outside": {
        "zh": "自然村不在其所属村代码所指的村范围内",
        "en": "settlement lies outside the village its village_code names",
    },
    "validate.seat_outside": {
        "zh": "乡镇驻地不在本乡镇范围内",
        "en": "the township seat (驻地) lies outside the township",
    },
    # --- the workspace as a whole ------------------------------------------------------------
    "validate.no_layer": {
        "zh": "工作区缺少{layer:long}图层",
        "en": "the workspace has no {layer} layer",
    },
    "validate.no_layer_new": {
        "zh": "工作区尚未建立，缺少{layer:long}图层：请一并给出{layer}文件",
        "en": "the workspace has no {layer} layer; give a {layer} file too "
        "(the workspace does not exist yet)",
    },
    "validate.not_cgcs2000": {
        "zh": "工作区图层必须使用 CGCS2000（EPSG:4490）；"
        "请用 gdf.to_crs('EPSG:4490') 转换，或通过 gridgov.io 导入",
        "en": "workspace layers must be in CGCS2000 (EPSG:4490); reproject with "
        "gdf.to_crs('EPSG:4490') or load through gridgov.io",
    },
    "validate.county_empty": {
        "zh": "县域图层没有要素",
        "en": "the county layer has no feature",
    },
    "validate.county_many": {
        "zh": "县域图层应只有一个边界；其各要素将合并为一个",
        "en": "the county layer should hold one outline; its features are treated as one",
    },
    # --- loading files into a workspace ------------------------------------------------------
    "load.not_gpkg": {
        "zh": "不是可读取的 GeoPackage 文件：{error}",
        "en": "not a readable GeoPackage: {error}",
    },
    "load.unknown_layer": {
        "zh": "不是工作区图层；应为以下之一：{layers}",
        "en": "not a workspace layer; expected one of {layers}",
    },
    "load.no_such_file": {"zh": "找不到文件：{paths}", "en": "no such file: {paths}"},
    "load.no_workspace": {
        "zh": "工作区 {path} 不存在",
        "en": "workspace {path} does not exist",
    },
    "load.result_name_clash": {
        "zh": "图层名 {names} 属于工作区本身；分析结果请换个名称",
        "en": "layer names {names} belong to the workspace itself; "
        "name analysis layers differently",
    },
    # --- notes: what the loader derived or matched -------------------------------------------
    "load.crs_by_spec_kept": {
        "zh": "{kind} 的坐标按规范就是 WGS84，因此未对它应用 {option}；"
        "如果确实是 {asked}，请写 {label}@{asked}",
        "en": "{kind} coordinates are WGS84 by specification, so {option} was not applied "
        "to it; if they really are {asked}, write {label}@{asked}",
    },
    "load.crs_declared_kept": {
        "zh": "文件已声明坐标系，因此未对它应用 {option}",
        "en": "the file declares its CRS, so {option} was not applied to it",
    },
    "note.column_by_values": {
        "zh": "{file}：列“{header}”按其取值识别为{column}",
        "en": "{file}: column '{header}' read as {column} from its values",
    },
    "note.ignored_columns": {
        "zh": "{file}：忽略了序号列 {headers}",
        "en": "{file}: ignored the row-number column(s) {headers}",
    },
    "note.kind_derived": {
        "zh": "{file}：没有“类别”列，已按层级和行业推得：区域 {regional} 个、行业 {industry} 个"
        "（写明行业或层级为行业/产业链站的算行业站）",
        "en": "{file}: no kind column; derived from tier and industry: {regional} regional, "
        "{industry} industry (stations naming an industry, or an industry tier, are industry)",
    },
    "note.code_by_name": {
        "zh": "{file}：{count} 行的{column}按{layer}名称对应到代码（如“{example}”→ {code}）",
        "en": "{file}: {column} of {count} row(s) matched to {layer} codes by name "
        "(e.g. '{example}' -> {code})",
    },
    "note.id_by_name": {
        "zh": "{file}：{count} 行的{column}按{layer}名称对应到编号（如“{example}”→ {code}）",
        "en": "{file}: {column} of {count} row(s) matched to {layer} ids by name "
        "(e.g. '{example}' -> {code})",
    },
    "note.code_by_code": {
        "zh": "{file}：{count} 行没有填{column}，已取{source}的前 {length} 位",
        "en": "{file}: {column} of {count} row(s) was not given; taken from the first "
        "{length} digits of {source}",
    },
    "note.code_by_polygon": {
        "zh": "{file}：{count} 行没有填{column}，已按所在{layer}的范围推得",
        "en": "{file}: {column} of {count} row(s) was not given; derived from the {layer} "
        "each lies in",
    },
    "note.stale_results": {
        "zh": "结果已过期：{layers} 是用重新导入前的{inputs}算出的；请重新运行 {commands}",
        "en": "results out of date: {layers} were computed from the {inputs} before this "
        "load; run {commands} again",
    },
    # --- the grouped problem report ----------------------------------------------------------
    "report.head": {
        "zh": "{context}：{errors} 个错误，{warnings} 个警告",
        "en": "{context}: {errors} error(s), {warnings} warning(s)",
    },
    "report.head_errors": {
        "zh": "{context}：{errors} 个错误",
        "en": "{context}: {errors} error(s)",
    },
    "report.file": {"zh": "{file}：", "en": "{file}:"},
    "report.group": {"zh": "{count} 行：{message}", "en": "{count} rows: {message}"},
    "report.single": {"zh": "{row}：{message}", "en": "{row}: {message}"},
    "report.excel_row": {"zh": "第 {row} 行", "en": "row {row}"},
    "report.feature": {"zh": "第 {row} 个要素", "en": "feature {row}"},
    "report.excel_rows": {"zh": "（Excel 第 {rows} 行）", "en": " (Excel rows {rows})"},
    "report.excel_rows_more": {
        "zh": "（Excel 第 {rows} 行等）",
        "en": " (Excel rows {rows}, ...)",
    },
    "report.rows": {"zh": "（{rows}）", "en": " ({rows})"},
    "report.rows_more": {"zh": "（{rows} 等）", "en": " ({rows}, ...)"},
    "report.sheet": {"zh": "{file}（工作表 {sheet}）", "en": "{file} (sheet {sheet})"},
    "report.suggest": {"zh": " — 是否应为 {suggestion}？", "en": " — did you mean {suggestion}?"},
    "report.more": {
        "zh": "……另有 {count} 类问题未列出",
        "en": "... and {count} more kind(s) of problem",
    },
    "report.cascade": {
        "zh": "另有 {count} 个问题是替换{cause}图层带来的：工作区原有的{layer}图层引用了旧{cause}"
        "中的 {examples}；请用 --{option} 一并重新导入{layer}",
        "en": "{count} more problem(s) follow from replacing the {cause} layer: the "
        "workspace's {layer} refer to {examples} of the old {cause}; load {layer} again "
        "too (--{option} FILE)",
    },
    "report.nothing_written": {"zh": "未写入任何内容。", "en": "nothing was written."},
    "report.written": {
        "zh": "全部问题已写入 {path}",
        "en": "every problem is listed in {path}",
    },
    "report.not_written": {
        "zh": "无法写出问题清单 {path}：{error}",
        "en": "could not write the problem list {path}: {error}",
    },
    "report.warnings": {"zh": "{count} 个警告：", "en": "{count} warning(s):"},
    "report.notes": {"zh": "说明：", "en": "notes:"},
    "report.error": {"zh": "错误", "en": "ERROR"},
    "report.warning": {"zh": "警告", "en": "WARNING"},
    "report.note": {"zh": "说明", "en": "NOTE"},
    "report.line": {"zh": "{severity} {where}：{message}", "en": "{severity} {where}: {message}"},
    "report.value": {"zh": "（值：{value}）", "en": " (value: {value})"},
    "report.sheet_name": {"zh": "问题", "en": "problems"},
    "report.col_file": {"zh": "文件", "en": "File"},
    "report.col_sheet": {"zh": "工作表", "en": "Sheet"},
    "report.col_row": {"zh": "行（Excel）", "en": "Row (Excel)"},
    "report.col_column": {"zh": "列", "en": "Column"},
    "report.col_value": {"zh": "值", "en": "Value"},
    "report.col_problem": {"zh": "问题", "en": "Problem"},
    "report.col_suggestion": {"zh": "建议", "en": "Suggestion"},
    "report.warning_prefix": {"zh": "（警告）{message}", "en": "(warning) {message}"},
    # --- gridgov info ------------------------------------------------------------------------
    "info.result_fresh": {"zh": "最新（{at} 计算）", "en": "up to date (computed {at})"},
    "info.result_stale": {
        "zh": "结果已过期：计算后重新导入了{inputs}",
        "en": "out of date: {inputs} loaded again since it was computed",
    },
    "info.result_unknown": {
        "zh": "不知何时由哪些图层算出",
        "en": "unknown when and from which layers it was computed",
    },
    # --- the command line --------------------------------------------------------------------
    "cli.error": {"zh": "gridgov {command}：{message}", "en": "gridgov {command}: {message}"},
    "cli.bug": {
        "zh": "gridgov {command}：意外错误（gridgov {version} 的缺陷）；"
        "请连同上面的错误追踪一起报告",
        "en": "gridgov {command}: unexpected error (a bug in gridgov {version}); "
        "please report it with the traceback above",
    },
    "cli.interrupted": {"zh": "已中断", "en": "interrupted"},
}
