"""County data-quality scorecard: which counties the province should call.

Per county, over every delivered row of the six categories: the share rejected (validation, and the consistency
step under the ``reject`` policy), inconsistent with the base map (findings of ``inconsistencies.parquet``,
DOMAIN §2), unpriced (in scope, no price, DOMAIN §4) and excluded (collective, DOMAIN §2), with the rules and
finding types that account for most of them. Written as ``scorecard.parquet`` and as a sheet of the report.
A rejected row whose county code is not a county of the province is scored under the county its file is named
after (``<county code>_<name>.<ext>``), else under the code and name of a county not determined
(``schema.labels.UNKNOWN_COUNTY_CODE``, as in the county packs), listed last.
"""

from __future__ import annotations

import re

from openpyxl.styles import Alignment
from openpyxl.worksheet.properties import PageSetupProperties

from assets_pipeline.consistency.findings import FINDINGS
from assets_pipeline.infra import sql
from assets_pipeline.infra.duck import connect
from assets_pipeline.infra.layout import YearLayout, part_files
from assets_pipeline.infra.storage import atomic_path
from assets_pipeline.publish.excel import BOLD, HEADER_FILL, HEADER_FONT, NOTE_FONT, TITLE_FONT, cell, sheet_title
from assets_pipeline.schema.categories import CATEGORIES
from assets_pipeline.schema.labels import UNKNOWN_COUNTY_CODE, UNKNOWN_COUNTY_NAMES
from assets_pipeline.validate.rejects import RULE_MESSAGES

NAME_INDENT = Alignment(indent=1)
SCORECARD_COLUMNS = [
    ("region_code", "行政区代码", "county code"),
    ("region_name", "县级单位", "county"),
    ("rows_delivered", "报送行数", "rows delivered"),
    ("rejected_share", "退回比例", "rejected share"),
    ("inconsistent_share", "不一致比例", "inconsistent share"),
    ("unpriced_share", "无价格比例", "unpriced share"),
    ("excluded_share", "排除比例", "excluded share"),
    ("problem_share", "问题比例合计", "problem share"),
    ("worst_rules", "主要退回规则", "top reject rules"),
    ("worst_findings", "主要不一致类型", "top findings"),
]


def _union(con, name: str, files_by_category: dict[str, list[str]], select: str, empty: str) -> None:
    """A view ``name`` over the parts of every category, with its category."""
    selects = []
    for category, files in files_by_category.items():
        if files:
            con.register(f"{name}_{category}", con.read_parquet(files, union_by_name=True))
            selects.append(f"SELECT '{category}' AS category, {select} FROM {name}_{category}")
    body = " UNION ALL ".join(selects) if selects else f"SELECT NULL::VARCHAR AS category, {empty} WHERE false"
    con.execute(f"CREATE TEMP VIEW {name} AS {body}")


def build_scorecard(layout: YearLayout) -> list[tuple]:
    """Write ``scorecard.parquet`` (one row per county, worst first) and return its rows."""
    validated = {c: [str(p) for p in part_files(layout.validated(c))] for c in CATEGORIES}
    rejected = {
        c: [str(p) for p in part_files(layout.rejected_rows(c)) + part_files(layout.consistency_rejected_rows(c))]
        for c in CATEGORIES
    }
    lines = {
        c: [str(p) for p in part_files(layout.reject_lines(c)) + part_files(layout.consistency_reject_lines(c))]
        for c in CATEGORIES
    }
    params = {
        "inconsistencies": str(layout.inconsistencies),
        "unpriced": str(layout.unpriced),
        "divisions": str(layout.reference("admin_divisions")),
        "year": layout.year,
        "unknown_code": UNKNOWN_COUNTY_CODE,
        "unknown_name": UNKNOWN_COUNTY_NAMES["zh"],
    }
    with connect(layout.stages / "duckdb_tmp") as con:
        _union(
            con,
            "valid",
            validated,
            "region_code, exclusion_reason IS NOT NULL AS excluded, _row_id",
            "NULL::VARCHAR AS region_code, false AS excluded, NULL::BIGINT AS _row_id",
        )
        _union(
            con,
            "rejected_rows",
            rejected,
            "region_code, _source_file, _row_id",
            "NULL::VARCHAR AS region_code, NULL::VARCHAR AS _source_file, NULL::BIGINT AS _row_id",
        )
        _union(con, "lines", lines, "rule, _row_id", "NULL::VARCHAR AS rule, NULL::BIGINT AS _row_id")
        with atomic_path(layout.scorecard) as tmp:
            con.execute(sql.load(__file__, "scorecard", target=sql.path_literal(tmp)), params)
        return con.execute(
            "SELECT * EXCLUDE (year) FROM read_parquet($p) ORDER BY region_code = $u, problem_share DESC, region_code",
            {"p": str(layout.scorecard), "u": UNKNOWN_COUNTY_CODE},
        ).fetchall()


QUALITY_WORDS = {
    "zh": {
        "sheet": "数据质量",
        "title": "{year}年各县报送数据质量",
        "note": "每个县级单位报送的全部数据行（六类资源）中，退回、与底图不一致、无价格和排除（集体所有）的比例；"
        "按市、县排列，市行为其所辖县的报送行数之和。“主要退回规则”“主要不一致类型”列出行数最多的三项。"
        "“未能确定所属县”一行为行政区代码不是本省县级单位、且文件名也未以县代码开头的退回行，"
        "请按退回工作簿中的文件名查明报送单位。",
        "city": "市级小计",
    },
    "en": {
        "sheet": "Data quality",
        "title": "{year}: quality of the counties' deliveries",
        "note": "Per county, over every row it delivered (six categories): the share rejected, inconsistent with "
        "the base map, unpriced and excluded (collective). Cities, then their counties; a city row holds "
        "its counties' rows delivered. Top rules and findings: the three with the most rows. The row "
        '"county not determined" holds rejected rows whose county code is not a county of the province '
        "and whose file name does not start with one: find the sender by the file names in the rejects "
        "workbook.",
        "city": "city subtotal",
    },
}
_COUNTED = re.compile(r"([a-z_]+) \((\d+)\)")


def plain_names(listed: str | None, lang: str) -> str | None:
    """``code_list (5), missing_base (2)`` → ``代码不在代码表中（5）、底图无此图斑（2）``: rules and findings by
    their names (validate.RULE_MESSAGES, consistency.FINDINGS), not their codes."""
    if not listed:
        return listed
    names = {k: v for k, v in RULE_MESSAGES.items()} | {k: v for k, v in FINDINGS.items()}
    i = 0 if lang == "zh" else 1
    parts = [
        f"{names.get(code, (code, code))[i]}（{n}）" if lang == "zh" else f"{names.get(code, (code, code))[i]} ({n})"
        for code, n in _COUNTED.findall(listed)
    ]
    return ("、" if lang == "zh" else "; ").join(parts) if parts else listed


def write_scorecard_sheet(wb, layout: YearLayout, lang: str = "zh") -> None:
    """The scorecard as a sheet of the report workbook (write-only openpyxl), when the step has run: a title and
    a note, the header frozen and repeated on printed pages, counties under their cities in code order, rules and
    findings by name."""
    if not layout.scorecard.exists():
        return
    words = QUALITY_WORDS[lang]
    with connect() as con:
        rows = con.execute(
            "SELECT s.* EXCLUDE (year), d.parent_code, p.name FROM read_parquet($p) s "
            "LEFT JOIN read_parquet($d) d ON d.region_code = s.region_code AND d.level = 'county' "
            "LEFT JOIN read_parquet($d) p ON p.region_code = d.parent_code "
            "ORDER BY s.region_code = $u, d.parent_code, s.region_code",
            {"p": str(layout.scorecard), "d": str(layout.reference("admin_divisions")), "u": UNKNOWN_COUNTY_CODE},
        ).fetchall()
    ws = wb.create_sheet(sheet_title(words["sheet"]))
    widths = (12, 18, 12, 11, 11, 11, 11, 12, 36, 36)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "C4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "&P / &N"
    ws.row_dimensions[2].height = 52  # heights before the rows: the sheet is written once
    ws.row_dimensions[3].height = 30
    ws.append([cell(ws, words["title"].format(year=layout.year), font=TITLE_FONT)])
    ws.append([cell(ws, words["note"], font=NOTE_FONT, alignment=Alignment(wrap_text=True, vertical="top"))])
    ws.merged_cells.add(f"A2:{chr(ord('A') + len(widths) - 1)}2")
    ws.append(
        [
            cell(
                ws,
                zh if lang == "zh" else en,
                font=HEADER_FONT,
                fill=HEADER_FILL,
                alignment=Alignment(wrap_text=True, horizontal="center", vertical="center"),
            )
            for _, zh, en in SCORECARD_COLUMNS
        ]
    )
    city = object()
    for row in rows:
        *figures, parent, parent_name = row
        if parent != city and parent is not None:
            city = parent
            delivered = sum(r[2] for r in rows if r[-2] == parent)
            ws.append(
                [
                    cell(ws, parent, font=BOLD),
                    cell(ws, f"{parent_name} {words['city']}", font=BOLD),
                    cell(ws, delivered, number_format="#,##0", font=BOLD),
                ]
            )
        figures[1] = UNKNOWN_COUNTY_NAMES[lang] if figures[0] == UNKNOWN_COUNTY_CODE else figures[1]
        figures[8], figures[9] = plain_names(figures[8], lang), plain_names(figures[9], lang)
        ws.append(
            [
                cell(
                    ws,
                    v,
                    number_format="0.00%" if 3 <= i <= 7 else ("#,##0" if i == 2 else None),
                    alignment=NAME_INDENT if i == 1 else None,
                )
                for i, v in enumerate(figures)
            ]
        )
