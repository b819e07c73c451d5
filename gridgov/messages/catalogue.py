"""The message catalogue: every key with its Chinese and English template.

Keys are ``area.what``: ``validate.*`` (problems found in an input), ``load.*`` (reading
files into a workspace), ``note.*`` (what the loader derived or matched, said so the planner
can check it), ``report.*`` (the grouped problem report and ``problems.xlsx``), ``info.*``
(``gridgov info``), ``roads.*`` (the road network's pieces) and ``cli.*`` (the command
line's own lines). Both templates of a key name the same placeholders; a value that reads differently per language is a
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
        "en": "{file}: ignored the row-number column(s) '{headers}'",
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
    # --- notes: how a file was read (gridgov.io.Note) ------------------------------------------
    "note.line": {"zh": "{file}: {text}（{why}）", "en": "{file}: {text} ({why})"},
    "note.list_sep": {"zh": "，", "en": ", "},
    "note.encoding": {"zh": "编码 {encoding}", "en": "encoding {encoding}"},
    "note.crs": {"zh": "坐标系 {crs}", "en": "CRS {crs}"},
    "note.sheet": {"zh": "工作表“{sheet}”", "en": "sheet '{sheet}'"},
    "note.header_row": {"zh": "表头在第 {row} 行", "en": "header on row {row}"},
    "note.rows_dropped": {
        "zh": "略去 {count} 行非数据行：{parts}",
        "en": "left out {count} row(s) that are not data: {parts}",
    },
    "note.rows_kind": {
        "zh": "{kind} {count} 行（第 {rows} 行）",
        "en": "{count} {kind} (rows {rows})",
    },
    "note.rows_kind_more": {
        "zh": "{kind} {count} 行（第 {rows} 等 行）",
        "en": "{count} {kind} (rows {rows}, ...)",
    },
    "note.rows_kind_blank": {"zh": "{kind} {count} 行", "en": "{count} {kind}"},
    "note.osm_roads": {
        "zh": "OpenStreetMap 道路 {roads} 条（单行 {oneway} 条，禁止汽车 {no_car} 条，渡口 {ferries} 条）",
        "en": "{roads} OpenStreetMap roads ({oneway} one-way, {no_car} closed to cars, "
        "{ferries} ferry route(s))",
    },
    # the grounds of a note
    "note.detected": {"zh": "自动识别", "en": "detected"},
    "note.detected_or": {
        "zh": "自动识别；不对请写 {option}",
        "en": "detected; if wrong, write {option}",
    },
    "note.detected_because_or": {
        "zh": "自动识别：{grounds}；不对请写 {option}",
        "en": "detected: {grounds}; if wrong, write {option}",
    },
    "note.no_cpg": {"zh": "无 .cpg 文件", "en": "no .cpg file"},
    "note.cpg_not_text": {
        "zh": ".cpg 声明 {declared}，但文字不是 {declared}",
        "en": "the .cpg says {declared} but the text is not {declared}",
    },
    "note.garbled_as": {"zh": "按 {codec} 读出是乱码", "en": "read as {codec} it is garbled"},
    "note.by_option": {"zh": "按 {option}", "en": "as {option} says"},
    "note.by_option_cpg": {
        "zh": "按 {option}；.cpg 声明 {cpg}",
        "en": "as {option} says; the .cpg says {cpg}",
    },
    "note.by_option_not_declared": {
        "zh": "按 {option}；文件声明的 {crs} 未采用",
        "en": "as {option} says; the {crs} the file declares is not used",
    },
    "note.by_option_labelled": {
        "zh": "按 {option}；文件标为 {crs}",
        "en": "as {option} says; the file is labelled {crs}",
    },
    "note.by_cpg": {"zh": ".cpg 声明", "en": "declared by the .cpg file"},
    "note.by_cpg_not_option": {
        "zh": ".cpg 声明；未用 {option}",
        "en": "declared by the .cpg file; {option} not applied",
    },
    "note.by_file": {"zh": "文件声明", "en": "declared by the file"},
    "note.by_spec": {"zh": "{spec} 规定", "en": "fixed by the {spec} specification"},
    "note.by_spec_not_option": {
        "zh": "{spec} 规定；未用 {option}",
        "en": "fixed by the {spec} specification; {option} not applied",
    },
    "note.by_command_line": {"zh": "按命令行指定", "en": "as given on the command line"},
    "note.crs_default": {
        "zh": "文件未声明、也未指定，按默认；高德/腾讯坐标请写 {file}@gcj02，百度坐标写 {file}@bd09",
        "en": "neither declared nor given, so the default; for AMap/Tencent coordinates "
        "write {file}@gcj02, for Baidu {file}@bd09",
    },
    "note.sheet_by_name": {
        "zh": "按表名识别，共 {count} 个；不对请写 {file}@sheet=表名",
        "en": "picked by its name among {count} sheets; if wrong, write {file}@sheet=NAME",
    },
    "note.sheet_first": {
        "zh": "第一个工作表，共 {count} 个；不对请写 {file}@sheet=表名",
        "en": "the first of {count} sheets; if wrong, write {file}@sheet=NAME",
    },
    "note.by_osm_tags": {
        "zh": "按 OpenStreetMap 标签 highway、maxspeed、oneway、access、route=ferry",
        "en": "from the OpenStreetMap tags highway, maxspeed, oneway, access, route=ferry",
    },
    # --- reading one file: what stopped it -----------------------------------------------------
    "load.garbled": {
        "zh": "按 {codec} 读出的文字是乱码{reads_as}。请在文件名后写明编码（{file}@gbk，"
        "或用 --encoding GBK 指定所有文件），或在 .shp 旁放一个内容为 GBK 的 .cpg 文件",
        "en": "text read as {codec} looks garbled (mojibake){reads_as}. Name the file's "
        "encoding after its name ({file}@gbk, or --encoding GBK for every file), or add a "
        ".cpg file containing GBK next to the .shp",
    },
    "load.garbled_reads_as": {
        "zh": "；按 GBK 读应为“{fixed}”",
        "en": "; read as GBK it would be '{fixed}'",
    },
    "load.field_names_cut": {
        "zh": "DBF 字段名限 10 个字节，被截断在汉字中间的字段名已按 {codec} 读出；"
        "中文字段名建议用 GeoPackage",
        "en": "field names cut mid-character by the DBF's 10-byte limit were read as {codec}; "
        "prefer GeoPackage for Chinese field names",
    },
    "load.no_such_source_layer": {
        "zh": "没有名为“{name}”的图层；文件中的图层：{names}",
        "en": "no layer named '{name}'; the file has {names}",
    },
    "load.many_layers": {
        "zh": "文件有 {count} 个图层（{names}）；请用 source_layer 指定要导入的一个",
        "en": "the file has {count} layers ({names}); name the one to load as source_layer",
    },
    "load.bad_zip": {
        "zh": "不是可读取的 zip 文件：{error}",
        "en": "not a readable zip file: {error}",
    },
    "load.zip_no_shp": {"zh": "zip 文件中没有 .shp 文件", "en": "the zip file holds no .shp file"},
    "load.zip_many_shp": {
        "zh": "zip 中有 {count} 个 Shapefile（{names}）；请用 source_layer 指定一个",
        "en": "the zip holds {count} shapefiles ({names}); name one as source_layer",
    },
    "load.not_valid_text": {
        "zh": "文字不是有效的 {codec}（{error}）；请在文件名后写明编码（{file}@gbk、{file}@utf-8）",
        "en": "text is not valid {codec} ({error}); name the file's encoding after its name "
        "({file}@gbk, {file}@utf-8)",
    },
    "load.not_valid_given": {
        "zh": "文件不是有效的 {codec}（{error}）；去掉编码让其自动识别，或换一个编码",
        "en": "the file is not valid {codec} ({error}); leave the encoding out to have it "
        "detected, or name another",
    },
    "load.not_valid_given_reads_as": {
        "zh": "文件不是有效的 {codec}（{error}）；它按 {found} 可以读出：去掉编码让其自动识别，"
        "或换一个编码",
        "en": "the file is not valid {codec} ({error}); it reads as {found}: leave the "
        "encoding out to have it detected, or name another",
    },
    "load.unknown_encoding": {"zh": "未知编码：{error}", "en": "unknown encoding: {error}"},
    "load.encoding_unknowable": {
        "zh": "无法判断文件的文字编码（不是 UTF-8、GBK/GB18030 或 Big5）；"
        "请另存为 UTF-8，或在文件名后写明编码（{file}@gbk）",
        "en": "cannot tell the file's text encoding (it is not UTF-8, GBK/GB18030 or Big5); "
        "save it as UTF-8, or name its encoding after its name ({file}@gbk)",
    },
    "load.cannot_list_layers": {
        "zh": "无法列出文件中的图层：{error}",
        "en": "cannot list the layers of the file: {error}",
    },
    "load.cannot_open": {"zh": "无法打开文件：{error}", "en": "cannot open the file: {error}"},
    "load.cannot_read": {"zh": "无法读取文件：{error}", "en": "cannot read the file: {error}"},
    "load.plain_table": {
        "zh": "图层没有几何（是普通表格）",
        "en": "the layer has no geometry (it is a plain table)",
    },
    "load.file_empty": {"zh": "文件是空的", "en": "the file is empty"},
    "load.bad_csv": {
        "zh": "不是可读取的 CSV 文件：{error}",
        "en": "not a readable CSV file: {error}",
    },
    "load.no_sheet": {
        "zh": "没有名为“{sheet}”的工作表；工作表有：{names}",
        "en": "no sheet '{sheet}'; sheets: {names}",
    },
    "load.no_sheets": {"zh": "工作簿中没有工作表", "en": "the workbook has no sheets"},
    "load.bad_workbook": {
        "zh": "不是可读取的工作簿：{error}",
        "en": "not a readable workbook: {error}",
    },
    "load.xls_needs_calamine": {
        "zh": "读取旧版 .xls 工作簿需要 python-calamine（pip install python-calamine）；"
        "或把工作簿另存为 .xlsx",
        "en": "reading old .xls workbooks needs python-calamine (pip install python-calamine); "
        "or save the workbook as .xlsx",
    },
    "load.header_blank": {
        "zh": "第 {row} 行不能作表头：该行是空的",
        "en": "row {row} cannot be the header: it is blank",
    },
    "load.header_past_end": {
        "zh": "第 {row} 行不能作表头：已超出工作表末尾",
        "en": "row {row} cannot be the header: it is past the end of the sheet",
    },
    "load.no_lon_lat": {
        "zh": "没有找到经度/纬度列（查找了 经度/lon/lng/x 和 纬度/lat/y）；"
        "请用 --lon-col/--lat-col 指定{hint}",
        "en": "no longitude/latitude columns found (looked for 经度/lon/lng/x and "
        "纬度/lat/y); name them with --lon-col/--lat-col{hint}",
    },
    "load.lon_lat_not_found": {
        "zh": "没有找到列 {columns}；请用 --lon-col/--lat-col 指定{hint}",
        "en": "column(s) {columns} not found; name them with --lon-col/--lat-col{hint}",
    },
    "load.header_hint": {
        "zh": "；如果表头不在识别出的那一行，请写 {file}@header=N",
        "en": "; if the header is not on the row found, give it as {file}@header=N",
    },
    "load.table_needs_wkt": {
        "zh": "{layer}图层应为{types}：表格需要一个 WKT 列（wkt/geometry）；"
        "边界请改用 GeoPackage 或 Shapefile 导出",
        "en": "{layer} are {types} layers: a table needs a WKT column (wkt/geometry); "
        "export boundaries as GeoPackage or Shapefile instead",
    },
    "load.lon_missing": {"zh": "缺少经度", "en": "longitude is missing"},
    "load.lat_missing": {"zh": "缺少纬度", "en": "latitude is missing"},
    "load.lon_not_number": {"zh": "经度不是数字", "en": "longitude is not a number"},
    "load.lat_not_number": {"zh": "纬度不是数字", "en": "latitude is not a number"},
    "load.bad_wkt": {"zh": "不是有效的 WKT 几何", "en": "not valid WKT geometry"},
    "load.projected_not_degrees": {
        "zh": "坐标像是投影坐标（米），不是经纬度，因此不能按 {source} 处理；"
        "请在文件名后写明投影（东经 114° 附近的 CGCS2000 3 度带高斯-克吕格投影写 "
        "{file}@epsg:4547），或补上文件的 .prj",
        "en": "coordinates look like projected metres, not longitude/latitude, so {source} "
        "cannot apply; name the projection after the file name ({file}@epsg:4547 for the "
        "CGCS2000 3-degree Gauss-Kruger zone at 114E) or supply the file's .prj",
    },
    "load.unsupported_type": {
        "zh": "不支持的文件类型；请使用以下之一：{suffixes}",
        "en": "unsupported file type; use one of {suffixes}",
    },
    "load.outside_china_allowed": {
        "zh": "{message}（--allow-outside-china）",
        "en": "{message} (--allow-outside-china)",
    },
    "load.option_header": {
        "zh": "{file}：header={value} 应为工作表的行号（1、2……）",
        "en": "{file}: header={value} must be a sheet row number (1, 2, ...)",
    },
    "load.option_unknown": {
        "zh": "{file}：未知选项“{token}”；可用 header=N、sheet=表名、encoding=编码、crs=坐标系，"
        "或直接写 gcj02/bd09/wgs84/cgcs2000/epsg:N、gbk/utf-8",
        "en": "{file}: unknown option '{token}'; use header=N, sheet=NAME, encoding=NAME, "
        "crs=NAME, or a bare gcj02/bd09/wgs84/cgcs2000/epsg:N or gbk/utf-8",
    },
    "load.option_encoding": {
        "zh": "{file}：“{value}”不是 Python 认识的文字编码（中文 GIS 软件导出的文件通常是 "
        "GBK、GB18030 或 UTF-8）",
        "en": "{file}: '{value}' is not a text encoding Python knows (files from Chinese GIS "
        "software are usually GBK, GB18030 or UTF-8)",
    },
    "load.option_bare": {
        "zh": "{file}：“{token}”既不是坐标系（gcj02、bd09、wgs84、cgcs2000、amap、baidu、"
        "epsg:4547），也不是文字编码（gbk、gb18030、utf-8），也不是 header=N / sheet=表名",
        "en": "{file}: '{token}' is neither a coordinate system (gcj02, bd09, wgs84, cgcs2000, "
        "amap, baidu, epsg:4547) nor a text encoding (gbk, gb18030, utf-8), nor "
        "header=N / sheet=NAME",
    },
    "load.seat_missing": {
        "zh": "缺少乡镇驻地（驻地经度/驻地纬度）；已取乡镇范围内的一点",
        "en": "township seat (驻地经度/驻地纬度) missing; using a point inside the township",
    },
    "load.osm_roads_only": {
        "zh": "OpenStreetMap 数据只能作为道路图层导入（--roads）",
        "en": "an OpenStreetMap extract gives only the roads layer (--roads)",
    },
    "load.osm_unreadable": {
        "zh": "不是可读取的 OSM PBF 文件：{error}",
        "en": "not a readable OSM PBF file: {error}",
    },
    "load.osm_no_roads": {"zh": "数据中没有道路", "en": "the extract holds no roads"},
    "load.osm_cut_off": {
        "zh": "{count} 条道路被数据范围截断、范围内不足两个节点，已略去",
        "en": "{count} way(s) cut off by the extract's edge with fewer than two nodes "
        "inside; left out",
    },
    # --- road pieces (gridgov load, gridgov coverage) ------------------------------------------
    "roads.pieces": {
        "zh": "路网 {pieces} 片，{lonely} 个村所在片区无联络站",
        "en": "road network in {pieces} piece(s); {lonely} village(s) on a piece with no station",
    },
    "roads.pieces_lonely": {
        "zh": "（注意：这些村未覆盖是因为路网在此断开、道路到不了任何联络站，"
        "而非附近没有联络站；请检查道路图层的连通，见图层 road_pieces）",
        "en": " (note: these villages are uncovered because the network is broken there and "
        "no road reaches a station, not because no station is near; check the roads layer's "
        "connections, see the layer road_pieces)",
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
    "cli.list_sep": {"zh": "，", "en": ", "},
    "cli.count": {"zh": "{layer} {count}", "en": "{layer} {count}"},
    "cli.loaded": {
        "zh": "已将 {layers} 导入 {workspace}",
        "en": "loaded {layers} into {workspace}",
    },
    "cli.valid": {"zh": "检查通过：{counts}", "en": "valid: {counts}"},
    "cli.command_line": {"zh": "命令行", "en": "command line"},
    "cli.load_no_files": {
        "zh": "请至少给出一个图层文件，例如 --villages FILE",
        "en": "name at least one layer file, e.g. --villages FILE",
    },
    "cli.validate_nothing": {
        "zh": "请给出工作区 WORKSPACE 或图层文件（--villages FILE ...）",
        "en": "give a WORKSPACE or layer files (--villages FILE ...)",
    },
    "cli.bad_encoding": {
        "zh": "--encoding {value} 不是 Python 认识的文字编码（中文 GIS 软件导出的文件通常是 "
        "GBK、GB18030 或 UTF-8）",
        "en": "--encoding {value} is not a text encoding Python knows (files from Chinese GIS "
        "software are usually GBK, GB18030 or UTF-8)",
    },
    "cli.bad_header_row": {
        "zh": "--header-row {value}：工作表的行号从 1 开始",
        "en": "--header-row {value}: a sheet row number is 1 or more",
    },
    "cli.interrupted": {"zh": "已中断", "en": "interrupted"},
}
