"""Printable QR signage: a sign per station (A5 and A4) and a card per deputy.

一站一码 works only where the code hangs on the station's wall, so the QR codes of
:mod:`gridgov.issues.qr` are laid out here as documents a print shop can take: the
station's name, tier, address and reception day, a call to action residents understand
(扫码反映问题 找代表), the code large enough to scan from a metre away, and the station's
deputies (姓名、职务, and contact numbers only when the office chooses to publish them: the
phones in a workspace are personal data and stay off by default).

Signs are drawn with Pillow at 300 dpi, in millimetres of the page (A-series pages have
one shape, so the A4 sign is the A5 one scaled), with the Chinese font
:func:`gridgov._fonts.cjk_font` finds for exactly the text of the sign. Each is written as
a PNG (300 dpi set in the file) and a one-page PDF of the right paper size, and every sign
of a size goes into one multi-page PDF for the print shop.

Scanning distance: phone cameras read a code from about ten times its width, so the code
with its quiet zone is about 100 mm wide on A5 (its modules at least 80 mm) and 140 mm on
A4; when a long name or roster crowds the page, the roster gives way, never the code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

from gridgov._errors import GridgovError, ParameterError
from gridgov._fonts import CjkFont, cjk_font, covers
from gridgov.issues.qr import deputy_url, public_deputy, public_station, qr_symbol, station_url
from gridgov.messages import text
from gridgov.model import Workspace

__all__ = [
    "DPI",
    "PAPER_MM",
    "Sign",
    "deputy_card",
    "mm_to_px",
    "station_sign",
    "write_signage",
]

#: Print resolution of every sign.
DPI = 300
#: Portrait paper sizes (width, height) in millimetres.
PAPER_MM: dict[str, tuple[float, float]] = {
    "a4": (210.0, 297.0),
    "a5": (148.0, 210.0),
    "a6": (105.0, 148.0),
}
#: Smallest width of the code's modules (quiet zone excluded), in A5 millimetres: with the
#: quiet zone about 100 mm, read from a metre.
_QR_MIN_MM = 80.0
#: Widest the code is drawn with its quiet zone, in A5 millimetres.
_QR_MAX_MM = 106.0
_RED = (192, 0, 0)
_INK = (25, 25, 25)
_GREY = (90, 90, 90)
_WHITE = (255, 255, 255)
# text of a sign is laid out in A5 millimetres and scaled to the paper
_BASE_W_MM = 148.0


class NoChineseFontError(GridgovError):
    """No installed font has the glyphs of a sign's text: a sign of boxes is worse than none."""


def _t(key: str, **values: object) -> str:
    """A sign's text, always in Chinese: it hangs on a wall for residents, whatever
    language the planner who prints it reads."""
    return text(key, "zh", **values)


def mm_to_px(mm: float, dpi: int = DPI) -> int:
    """Millimetres of paper as pixels at ``dpi``."""
    return round(mm * dpi / 25.4)


@dataclass(frozen=True)
class Sign:
    """A drawn sign: the image (300 dpi) and where its parts are, in pixels
    ``(left, top, right, bottom)``: ``name`` (the station's or deputy's name), ``qr``
    (the code's modules, quiet zone excluded), ``cta`` (the call to action)."""

    image: Image.Image
    paper: str
    boxes: Mapping[str, tuple[int, int, int, int]] = field(default_factory=dict)
    font: CjkFont | None = None


class _Canvas:
    """A page drawn top-down in A5 millimetres (scaled to the paper), text centred."""

    def __init__(self, paper: str, font: CjkFont) -> None:
        if paper not in PAPER_MM:
            raise ParameterError(
                f"paper={paper!r}: expected one of {', '.join(PAPER_MM)}",
                parameter="paper",
                value=paper,
            )
        w_mm, h_mm = PAPER_MM[paper]
        self.scale = w_mm / _BASE_W_MM
        self.size = (mm_to_px(w_mm), mm_to_px(h_mm))
        self.image = Image.new("RGB", self.size, _WHITE)
        self.draw = ImageDraw.Draw(self.image)
        self.font = font
        self.y = 0.0  # the cursor, in A5 mm
        self.boxes: dict[str, tuple[int, int, int, int]] = {}

    def px(self, mm: float) -> int:
        return mm_to_px(mm * self.scale)

    @property
    def width_mm(self) -> float:
        return _BASE_W_MM

    @property
    def height_mm(self) -> float:
        return self.size[1] / self.px_per_mm

    @property
    def px_per_mm(self) -> float:
        """Pixels per A5 millimetre of layout."""
        return self.scale * DPI / 25.4

    def face(self, size_mm: float) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(self.font.path), self.px(size_mm), index=self.font.index)

    def band(self, height_mm: float, colour: tuple[int, int, int]) -> None:
        top = self.px(self.y)
        self.draw.rectangle((0, top, self.size[0], self.px(self.y + height_mm)), fill=colour)

    def fit(self, line: str, size_mm: float, min_mm: float, width_mm: float) -> float:
        """The largest size from ``size_mm`` down to ``min_mm`` at which ``line`` fits."""
        size = size_mm
        while size > min_mm and self.draw.textlength(line, font=self.face(size)) > self.px(
            width_mm
        ):
            size -= 0.25
        return max(size, min_mm)

    def wrap(self, line: str, size_mm: float, width_mm: float) -> list[str]:
        """``line`` broken into lines no wider than ``width_mm`` (Chinese breaks anywhere;
        a break is preferred after 、，；)."""
        face, limit = self.face(size_mm), self.px(width_mm)
        out: list[str] = []
        current = ""
        for ch in line:
            if self.draw.textlength(current + ch, font=face) <= limit:
                current += ch
                continue
            cut = max(current.rfind(p) for p in "、，；, ")
            if cut > len(current) // 2:
                out.append(current[: cut + 1])
                current = current[cut + 1 :].lstrip() + ch
            else:
                out.append(current)
                current = ch
        if current:
            out.append(current)
        return out

    def text(
        self,
        line: str,
        size_mm: float,
        *,
        colour: tuple[int, int, int] = _INK,
        bold: bool = False,
        gap_mm: float = 1.5,
        box: str | None = None,
    ) -> None:
        """One centred line at the cursor; the cursor moves below it."""
        face = self.face(size_mm)
        centre = self.size[0] // 2
        top = self.px(self.y)
        stroke = max(1, self.px(size_mm) // 28) if bold else 0
        self.draw.text(
            (centre, top),
            line,
            font=face,
            fill=colour,
            anchor="mt",
            stroke_width=stroke,
            stroke_fill=colour,
        )
        if box is not None:
            left, t, right, bottom = self.draw.textbbox(
                (centre, top), line, font=face, anchor="mt", stroke_width=stroke
            )
            self.boxes[box] = (int(left), int(t), int(right), int(bottom))
        self.y += size_mm * 1.22 + gap_mm

    def qr(self, url: str, module_mm: float) -> None:
        """The code of ``url``, centred at the cursor, each module ``module_mm`` wide (a
        whole number of pixels, so every module is the same size), quiet zone included."""
        symbol = qr_symbol(url)
        n = int(symbol.symbol_size(scale=1, border=0)[0])
        scale = max(1, self.px(module_mm))
        quiet = 4 * scale
        side = n * scale
        left = (self.size[0] - side) // 2
        top = self.px(self.y) + quiet
        for r, row in enumerate(symbol.matrix):
            for c, dark in enumerate(row):
                if dark:
                    x, y = left + c * scale, top + r * scale
                    self.draw.rectangle((x, y, x + scale - 1, y + scale - 1), fill=(0, 0, 0))
        self.boxes["qr"] = (left, top, left + side, top + side)
        self.y += (side + 2 * quiet) / self.px_per_mm

    def footer(self, line: str, size_mm: float) -> None:
        """A small grey line at the bottom of the page."""
        face = self.face(size_mm)
        bottom = self.size[1] - self.px(5)
        self.draw.text((self.size[0] // 2, bottom), line, font=face, fill=_GREY, anchor="mb")


def _modules(url: str) -> int:
    """Modules across the code of ``url``, quiet zone included."""
    return int(qr_symbol(url).symbol_size(scale=1, border=4)[0])


def _font_for(sample: str, given: CjkFont | None = None) -> CjkFont:
    """``given`` when it covers ``sample`` (a batch of signs looks the font up once), else
    the installed font that does."""
    if given is not None and covers(given.path, given.index, sample):
        return given
    font = cjk_font(sample)
    if font is None:
        raise NoChineseFontError(
            "no installed font can draw the sign's Chinese text; install one (Debian/Ubuntu: "
            "apt-get install fonts-noto-cjk; Windows has Microsoft YaHei) and run again"
        )
    return font


def _phone(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()


def _address(profile: Mapping[str, Any], county: str) -> str:
    return "".join(p for p in (county, profile.get("township", ""), profile.get("village", "")))


def _deputy_line(d: Mapping[str, Any], phones: Mapping[str, str]) -> str:
    """姓名（职务，电话）: the level is the deputy's 职务 on a station's wall."""
    phone = phones.get(str(d["deputy_id"]), "")
    role = str(d.get("level") or "")
    inner = "，".join(p for p in (role, phone) if p)
    return f"{d['name']}（{inner}）" if inner else str(d["name"])


def _roster(c: _Canvas, names: Sequence[str], size_mm: float, width_mm: float) -> list[str]:
    """The deputies in at most three lines; when they do not fit, as many as do and
    "等 N 名" (the code on the sign lists them all)."""
    if not names:
        return []
    full = _t("report.sign.deputies", names="、".join(names))
    lines = c.wrap(full, size_mm, width_mm)
    k = len(names)
    while len(lines) > 3 and k > 1:
        k -= 1
        shown = _t("report.sign.deputies_more", names="、".join(names[:k]), n=len(names))
        lines = c.wrap(shown, size_mm, width_mm)
    return lines[:3]


def station_sign(
    profile: Mapping[str, Any],
    url: str,
    *,
    paper: str = "a5",
    county: str = "",
    contact_phone: str = "",
    deputy_phones: Mapping[str, str] | None = None,
    font: CjkFont | None = None,
) -> Sign:
    """The sign of one station.

    Parameters
    ----------
    profile : mapping
        :func:`gridgov.issues.qr.public_station` of the station, optionally with
        ``village`` (the name of the village it stands in) for the address.
    url : str
        What the code opens (:func:`gridgov.issues.qr.station_url`).
    paper : {"a5", "a4"}
    county : str
        The county's name, at the head of the sign and the address.
    contact_phone, deputy_phones : optional
        Numbers the station publishes (the station's, and by ``deputy_id``); empty by
        default: phones in a workspace are personal data.
    font : CjkFont, optional
        The font to draw with when it covers the sign's text (else one is looked up).

    Returns
    -------
    Sign

    Raises
    ------
    ParameterError
        For an unknown ``paper``.
    NoChineseFontError
        If no installed font covers the sign's text.
    """
    phones = dict(deputy_phones or {})
    tier = profile.get("tier") or _t("report.sign.station")
    head = _t("report.sign.head", county=county, tier=tier)
    name = str(profile["name"])
    address = _address(profile, county)
    lines = [
        _t("report.sign.address", address=address) if address else "",
        _t("report.sign.reception", day=profile["reception_day"])
        if profile.get("reception_day")
        else "",
        _t("report.sign.contact", phone=contact_phone) if contact_phone else "",
    ]
    deputies = [_deputy_line(d, phones) for d in profile.get("deputies", [])]
    roster = _t("report.sign.deputies_more", names="、".join(deputies), n=len(deputies))
    cta, cta_sub = _t("report.sign.cta"), _t("report.sign.cta_sub")
    sample = head + name + "".join(lines) + roster + cta + cta_sub + url
    c = _Canvas(paper, _font_for(sample, font))
    width = c.width_mm - 14

    c.band(20, _RED)
    c.y = 5.5
    c.text(head, c.fit(head, 8.0, 5.0, width), colour=_WHITE, bold=True)
    c.y = 25.0
    size = c.fit(name, 12.0, 7.5, width)
    for k, part in enumerate(c.wrap(name, size, width)[:2]):
        c.text(part, size, bold=True, box="name" if k == 0 else "name2", gap_mm=1.0)
    if "name2" in c.boxes:  # one box around the whole name
        a, b = c.boxes["name"], c.boxes.pop("name2")
        c.boxes["name"] = (min(a[0], b[0]), a[1], max(a[2], b[2]), b[3])
    c.y += 1.0
    for line in (ln for ln in lines if ln):
        for part in c.wrap(line, 4.6, width)[:2]:
            c.text(part, 4.6, colour=_GREY, gap_mm=0.6)

    roster_lines = _roster(c, deputies, 4.0, width)
    # what must fit under the code: call to action, its second line, the roster, footer
    fixed = 10.0 * 1.22 + 1.5 + 4.6 * 1.22 + 1.5 + 8
    room = c.height_mm - c.y - fixed - len(roster_lines) * (4.0 * 1.22 + 0.6)
    n = _modules(url)
    while roster_lines and room / n * (n - 8) < _QR_MIN_MM:  # the roster gives way
        roster_lines = roster_lines[:-1]
        room += 4.0 * 1.22 + 0.6
    module = max(_QR_MIN_MM / (n - 8), min(_QR_MAX_MM / n, room / n))
    c.qr(url, module)
    c.text(cta, c.fit(cta, 10.0, 7.0, width), colour=_RED, bold=True, box="cta", gap_mm=1.5)
    c.text(cta_sub, 4.6, colour=_GREY, gap_mm=1.5)
    for part in roster_lines:
        c.text(part, 4.0, gap_mm=0.6)
    c.footer(url, c.fit(url, 3.2, 2.2, width))
    return Sign(c.image, paper, dict(c.boxes), c.font)


def deputy_card(
    profile: Mapping[str, Any],
    url: str,
    *,
    paper: str = "a6",
    county: str = "",
    phone: str = "",
    font: CjkFont | None = None,
) -> Sign:
    """The card of one deputy (一人一码): name, level, specialty, station and the code.

    Parameters
    ----------
    profile : mapping
        :func:`gridgov.issues.qr.public_deputy` of the deputy.
    url : str
        What the code opens (:func:`gridgov.issues.qr.deputy_url`).
    paper : {"a6", "a5", "a4"}
    county : str
    phone : str
        A number the deputy publishes; empty by default.
    font : CjkFont, optional
        The font to draw with when it covers the card's text.

    Raises
    ------
    ParameterError
        For an unknown ``paper``.
    NoChineseFontError
        If no installed font covers the card's text.
    """
    head = _t("report.card.head", county=county)
    name = str(profile["name"])
    lines = [
        str(profile.get("level") or ""),
        _t("report.card.specialty", specialty=profile["specialty"])
        if profile.get("specialty")
        else "",
        _t("report.card.station", station=profile["station_name"])
        if profile.get("station_name")
        else "",
        _t("report.sign.contact", phone=phone) if phone else "",
    ]
    cta = _t("report.card.cta")
    sample = head + name + "".join(lines) + cta + url
    c = _Canvas(paper, _font_for(sample, font))
    width = c.width_mm - 14
    c.band(20, _RED)
    c.y = 5.5
    c.text(head, c.fit(head, 8.0, 5.0, width), colour=_WHITE, bold=True)
    c.y = 25.0
    c.text(name, c.fit(name, 14.0, 8.0, width), bold=True, box="name", gap_mm=2)
    for line in (ln for ln in lines if ln):
        c.text(line, c.fit(line, 5.5, 3.5, width), colour=_GREY, gap_mm=1.0)
    n = _modules(url)
    room = c.height_mm - c.y - (10.0 * 1.22 + 2 + 12)
    c.qr(url, max(70.0 / (n - 8), min(120.0 / n, room / n)))
    c.text(cta, c.fit(cta, 10.0, 6.0, width), colour=_RED, bold=True, box="cta")
    c.footer(url, c.fit(url, 3.2, 2.2, width))
    return Sign(c.image, paper, dict(c.boxes), c.font)


def _pdf(image: Image.Image, path: Path, *, append: bool = False) -> None:
    # JPEG at this quality keeps text and modules crisp at 300 dpi; Pillow's lossless
    # alternative for PDF (hex-encoded palette) is eight times larger
    image.save(path, "PDF", resolution=float(DPI), quality=92, append=append)


def _save(sign: Sign, stem: Path, booklet: Path) -> list[Path]:
    """``stem.png`` (300 dpi) and ``stem.pdf`` (one page of the paper's size), and the
    page appended to ``booklet``: pages are added one at a time, so a county's signs never
    sit in memory together."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    sign.image.save(png, dpi=(DPI, DPI))
    _pdf(sign.image, pdf)
    _pdf(sign.image, booklet, append=booklet.exists())
    return [png, pdf]


_SAMPLE_KEYS = (
    "report.sign.head",
    "report.sign.address",
    "report.sign.reception",
    "report.sign.deputies_more",
    "report.sign.cta",
    "report.sign.cta_sub",
    "report.card.head",
    "report.card.specialty",
    "report.card.station",
    "report.card.cta",
)
_SAMPLE_VALUES = {
    "county": "",
    "tier": "联络站联络点代表工作室服务岗",
    "address": "",
    "day": "每周一二三四五六日月",
    "names": "（）全国省市县乡镇人大代表",
    "n": 0,
    "specialty": "",
    "station": "",
}


def _phones(frame: Any, key: str, column: str) -> dict[str, str]:
    if frame is None or column not in frame.columns:
        return {}
    return {str(k): _phone(v) for k, v in zip(frame[key], frame[column], strict=True)}


def write_signage(
    ws: Workspace,
    out_dir: str | Path,
    *,
    base_url: str,
    papers: Sequence[str] = ("a5", "a4"),
    cards: bool = True,
    publish_phones: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write a sign per station in each paper size and a card per on-duty deputy.

    Files, under ``out_dir``: ``signs/<station_id>-<paper>.png`` and ``.pdf``,
    ``signs-<paper>.pdf`` (every station, a page each), ``cards/<deputy_id>.png`` and
    ``.pdf``, and ``cards.pdf``. Ids are percent-encoded in file names.

    Parameters
    ----------
    ws : Workspace
    out_dir : str or Path
    base_url : str
        The public address of the service (the codes open its public pages).
    papers : sequence of {"a5", "a4"}
    cards : bool, default True
        Also write the deputies' cards (A6).
    publish_phones : bool, default False
        Print the stations' ``contact_phone`` and the deputies' ``phone``. Off unless the
        office has the deputies' consent: the workspace marks them personal.
    progress : callable, optional
        ``progress(done, total)`` after each station or deputy.

    Returns
    -------
    list of Path

    Raises
    ------
    ParameterError
        For a bad ``base_url`` or an unknown paper.
    NoChineseFontError
        If no installed font can draw Chinese.
    """
    bad = [p for p in papers if p not in ("a5", "a4")]
    if isinstance(papers, str) or bad or not papers:
        raise ParameterError(
            f"papers={papers!r}: expected a non-empty sequence of a5, a4",
            parameter="papers",
            value=papers,
        )
    station_url(base_url, "x")  # checks base_url before anything is drawn
    out = Path(out_dir)
    county = str(ws.county["name"].iloc[0]) if "name" in ws.county.columns else ""
    villages = dict(
        zip(ws.villages["code"].astype(str), ws.villages["name"].astype(str), strict=True)
    )
    station_phones = _phones(ws.stations, "station_id", "contact_phone") if publish_phones else {}
    deputy_phones = _phones(ws.deputies, "deputy_id", "phone") if publish_phones else {}
    ids = ws.stations["station_id"].astype(str).tolist()
    village_of = (
        dict(zip(ids, ws.stations["village_code"].astype(str), strict=True))
        if "village_code" in ws.stations.columns
        else {}
    )
    deputies: list[str] = []
    if cards and ws.deputies is not None:
        deps = ws.deputies
        if "on_duty" in deps.columns:  # a card for a deputy who has left would mislead
            deps = deps[deps["on_duty"].map(lambda v: _phone(v) == "" or bool(v))]
        deputies = deps["deputy_id"].astype(str).tolist()
    total = len(ids) + len(deputies)
    # one look-up for the whole batch: every name, the fixed texts and the digits
    names = "".join(ws.stations["name"].astype(str)) + county + "".join(villages.values())
    if ws.deputies is not None:
        names += "".join(ws.deputies["name"].astype(str))
    fixed = "".join(_t(k, **_SAMPLE_VALUES) for k in _SAMPLE_KEYS)
    font = _font_for("".join(sorted(set(names + fixed + "0123456789"))))
    out.mkdir(parents=True, exist_ok=True)
    booklets = {p: out / f"signs-{p}.pdf" for p in papers}
    cards_pdf = out / "cards.pdf"
    for stale in [*booklets.values(), cards_pdf]:
        stale.unlink(missing_ok=True)  # pages are appended: start each booklet afresh
    written: list[Path] = []
    for k, sid in enumerate(ids, start=1):
        profile = dict(public_station(ws, sid))
        profile["village"] = villages.get(village_of.get(sid, ""), "")
        url = station_url(base_url, sid)
        for paper in papers:
            sign = station_sign(
                profile, url, paper=paper, county=county,
                contact_phone=station_phones.get(sid, ""), deputy_phones=deputy_phones,
                font=font,
            )  # fmt: skip
            stem = out / "signs" / f"{quote(sid, safe='')}-{paper}"
            written += _save(sign, stem, booklets[paper])
        if progress is not None:
            progress(k, total)
    written += [b for b in booklets.values() if b.exists()]
    for k, did in enumerate(deputies, start=len(ids) + 1):
        card = deputy_card(
            public_deputy(ws, did), deputy_url(base_url, did), county=county,
            phone=deputy_phones.get(did, ""), font=font,
        )  # fmt: skip
        written += _save(card, out / "cards" / quote(did, safe=""), cards_pdf)
        if progress is not None:
            progress(k, total)
    if cards_pdf.exists():
        written.append(cards_pdf)
    return written
