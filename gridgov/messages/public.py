"""Messages of the resident's pages opened from a QR code (``public.*`` keys).

Same rules as :mod:`gridgov.messages.catalogue`: both templates of a key, same placeholders.
Plain words for a resident: no codes, no English in the Chinese, times in Beijing time.
"""

from __future__ import annotations

__all__ = ["MESSAGES"]

MESSAGES: dict[str, dict[str, str]] = {
    "public.title": {"zh": "码上提建议", "en": "Raise an issue"},
    # --- the station / deputy page ----------------------------------------------------------
    "public.station.reception_day": {"zh": "接待日：", "en": "Reception day: "},
    "public.station.deputies": {"zh": "驻站代表", "en": "Deputies at this station"},
    "public.station.name": {"zh": "姓名", "en": "Name"},
    "public.station.level": {"zh": "代表层级", "en": "Level"},
    "public.station.specialty": {"zh": "专业/行业", "en": "Field"},
    "public.station.no_deputies": {
        "zh": "本站暂无驻站代表，您提交的问题仍会交给本站办理。",
        "en": "No deputy is on duty here now; your issue still goes to this station.",
    },
    "public.deputy.no_station": {
        "zh": "这位代表暂未编入联络站，请扫联络站的二维码提交问题。",
        "en": "This deputy is not at a station yet; scan a station's code to raise an issue.",
    },
    # --- the issue form -----------------------------------------------------------------------
    "public.form.heading": {"zh": "码上提建议", "en": "Raise an issue"},
    "public.form.no_js": {
        "zh": "浏览器未启用 JavaScript：仍可提交文字，但不能定位和上传照片，"
        "问题按本联络站的位置登记。",
        "en": "JavaScript is off: you can still send the text, but not your location or "
        "a photo; the station's place is used.",
    },
    "public.form.refused": {
        "zh": "未能提交，请检查后再试（{fields}）。",
        "en": "Not sent; please check and try again ({fields}).",
    },
    "public.form.category": {"zh": "问题类别", "en": "Category"},
    "public.form.description": {"zh": "问题描述", "en": "What is the problem?"},
    "public.form.description_hint": {
        "zh": "请写清楚在哪里、出了什么问题",
        "en": "Where is it, and what is wrong?",
    },
    "public.form.description_needed": {
        "zh": "请先填写问题描述。",
        "en": "Please describe the problem first.",
    },
    "public.form.place": {"zh": "问题地点", "en": "Where"},
    "public.form.locate": {"zh": "使用我的位置", "en": "Use my location"},
    "public.form.place_default": {
        "zh": "不定位时，按本联络站的位置提交。",
        "en": "Without your location, the station's place is used.",
    },
    "public.form.locating": {"zh": "正在定位……", "en": "Finding your location…"},
    "public.form.located": {
        "zh": "已定位，精度约 {accuracy} 米。",
        "en": "Located, to about {accuracy} m.",
    },
    "public.form.locate_failed": {
        "zh": "定位失败（{reason}），将按本联络站的位置提交。",
        "en": "Could not locate you ({reason}); the station's place will be used.",
    },
    "public.form.no_geolocation": {
        "zh": "此浏览器不能定位，将按本联络站的位置提交。",
        "en": "This browser cannot locate you; the station's place will be used.",
    },
    "public.form.photo": {"zh": "照片（可不传）", "en": "Photo (optional)"},
    "public.form.photo_hint": {
        "zh": "可直接拍照；照片会先在手机上缩小再上传，公开时不带拍摄位置等信息。",
        "en": "Take one with the camera; it is shrunk on the phone before sending, and "
        "shown to the public without where it was taken.",
    },
    "public.form.preview": {"zh": "照片预览", "en": "Photo preview"},
    "public.form.photo_bad": {
        "zh": "这张照片打不开，请换一张（JPG 或 PNG）。",
        "en": "This photo cannot be opened; choose another (JPG or PNG).",
    },
    "public.form.name": {"zh": "姓名（可不填）", "en": "Your name (optional)"},
    "public.form.phone": {
        "zh": "电话（可不填，仅工作人员可见）",
        "en": "Phone (optional, staff only)",
    },
    "public.form.anonymous": {
        "zh": "匿名提交（不保存姓名和电话）",
        "en": "Anonymous (no name or phone kept)",
    },
    "public.form.submit": {"zh": "提交", "en": "Send"},
    "public.form.sending": {"zh": "正在提交，请稍候……", "en": "Sending…"},
    "public.form.sent": {"zh": "已受理，正在打开进度页……", "en": "Received; opening its page…"},
    "public.form.failed": {"zh": "未能提交：{reason}", "en": "Not sent: {reason}"},
    "public.form.offline": {
        "zh": "网络不通，未能提交。请稍后再点“提交”，不会重复登记。",
        "en": "No connection; not sent. Tap Send again later: it will not be filed twice.",
    },
    "public.form.photo_failed": {
        "zh": "问题已受理，但照片未能上传：{reason}",
        "en": "Your issue was received, but the photo was not: {reason}",
    },
    "public.form.busy": {
        "zh": "服务繁忙，请稍后再点“提交”，不会重复登记。",
        "en": "The service is busy; tap Send again shortly: it will not be filed twice.",
    },
    "public.form.check": {"zh": "请检查：{fields}", "en": "Please check: {fields}"},
    "public.form.separator": {"zh": "、", "en": ", "},
    "public.form.track_link": {"zh": "查看办理进度", "en": "Follow your issue"},
    "public.mine.heading": {"zh": "我在本机提交过的问题", "en": "Issues sent from this phone"},
    # --- tracking -----------------------------------------------------------------------------
    "public.track.title": {"zh": "办理进度", "en": "Your issue"},
    "public.track.number": {"zh": "编号", "en": "Number"},
    "public.track.category": {"zh": "类别", "en": "Category"},
    "public.track.raised_at": {"zh": "提交时间", "en": "Raised"},
    "public.track.description": {"zh": "问题描述", "en": "Problem"},
    "public.track.three_knows": {"zh": "谁在办、怎么办", "en": "Who handles it"},
    "public.track.unit": {"zh": "承办单位", "en": "Handling unit"},
    "public.track.responsible": {"zh": "责任人", "en": "Responsible"},
    "public.track.result": {"zh": "办理结果", "en": "Result"},
    "public.track.rating": {"zh": "您的评价", "en": "Your rating"},
    "public.track.not_yet": {"zh": "尚未确定", "en": "not yet"},
    "public.track.rate": {"zh": "评价办理结果", "en": "Rate the result"},
    "public.track.timeline": {"zh": "办理经过", "en": "What happened"},
    "public.track.local_time": {"zh": "时间均为北京时间。", "en": "Times are Beijing time."},
    "public.track.photos": {"zh": "照片", "en": "Photos"},
    "public.track.photo_alt": {"zh": "{at} 的照片", "en": "Photo of {at}"},
    "public.track.keep_link": {
        "zh": "请保存本页链接（或收藏），凭它查看进度和评价；本机也会记住。",
        "en": "Keep this page's link to follow and rate your issue; this phone remembers it too.",
    },
    "public.track.thanks": {"zh": "感谢您的评价。", "en": "Thank you for your rating."},
    "public.not_found.title": {"zh": "没有找到这个问题", "en": "Issue not found"},
    "public.not_found.body": {
        "zh": "链接不完整或查询码不对。请使用提交后打开的页面链接，或联系联络站。",
        "en": "The link is incomplete or the tracking code is wrong. Use the link of the page "
        "that opened after sending, or ask the station.",
    },
    # --- statuses, in the resident's words ------------------------------------------------------
    "public.status.raised": {"zh": "已收到您的问题", "en": "Received"},
    "public.status.located": {"zh": "已收到，正在确定所在网格", "en": "Received; finding its grid"},
    "public.status.assigned": {"zh": "已交给承办单位", "en": "Handed to the handling unit"},
    "public.status.dispatched": {
        "zh": "已派代表跟进，等待签收",
        "en": "Deputies sent; waiting for one to take it",
    },
    "public.status.acknowledged": {"zh": "已有专人负责", "en": "Someone has taken it on"},
    "public.status.in_progress": {"zh": "正在办理", "en": "Being handled"},
    "public.status.resolved": {"zh": "已办结，请您评价", "en": "Done; please rate the result"},
    "public.status.rated": {"zh": "您已评价", "en": "Rated"},
    "public.status.closed": {"zh": "已办结", "en": "Closed"},
    # --- the timeline ---------------------------------------------------------------------------
    "public.event.raised": {"zh": "您提交了问题", "en": "You raised the issue"},
    "public.event.located": {"zh": "确定了问题所在网格", "en": "Its grid was found"},
    "public.event.assigned": {"zh": "交给{unit}办理", "en": "Handed to {unit}"},
    "public.event.dispatched": {
        "zh": "派 {count} 位人大代表跟进",
        "en": "{count} deputies were sent to follow it up",
    },
    "public.event.acknowledged": {"zh": "{name}签收，负责办理", "en": "{name} took it on"},
    "public.event.started": {"zh": "开始办理", "en": "Work started"},
    "public.event.resolved": {"zh": "办结：{result}", "en": "Done: {result}"},
    "public.event.rated": {"zh": "您的评价：{rating}", "en": "You rated it: {rating}"},
    "public.event.reopened": {
        "zh": "因不满意重新办理（{reason}）",
        "en": "Reopened as unsatisfactory ({reason})",
    },
    "public.event.closed": {"zh": "办结归档", "en": "Closed"},
    "public.event.transferred": {
        "zh": "转交{unit}办理（{reason}）",
        "en": "Transferred to {unit} ({reason})",
    },
    "public.event.returned": {
        "zh": "退回{unit}（{reason}）",
        "en": "Returned to {unit} ({reason})",
    },
    "public.event.escalated": {
        "zh": "未按时办理，已上报{unit}",
        "en": "Not handled in time; passed up to {unit}",
    },
    "public.event.overdue": {
        "zh": "办理超期，已催办",
        "en": "Past its deadline; the handlers were reminded",
    },
    "public.event.merged": {
        "zh": "与同一地点的同类问题合并办理",
        "en": "Handled together with the same problem reported nearby",
    },
    # --- rating ---------------------------------------------------------------------------------
    "public.rating.satisfied": {"zh": "满意", "en": "Satisfied"},
    "public.rating.basic": {"zh": "基本满意", "en": "Mostly satisfied"},
    "public.rating.unsatisfied": {"zh": "不满意", "en": "Not satisfied"},
    "public.rate.title": {"zh": "评价办理结果", "en": "Rate the result"},
    "public.rate.question": {
        "zh": "您对办理结果满意吗？",
        "en": "Are you satisfied with the result?",
    },
    "public.rate.note": {"zh": "说明（不满意时必填）", "en": "Why (needed if not satisfied)"},
    "public.rate.note_hint": {
        "zh": "选择“不满意”后，问题会重新办理。",
        "en": "Choosing “not satisfied” reopens the issue.",
    },
    "public.rate.submit": {"zh": "提交评价", "en": "Send rating"},
    "public.rate.choose": {"zh": "请选择一项评价。", "en": "Please choose a rating."},
    "public.rate.reason_needed": {
        "zh": "选择“不满意”时，请写明原因，以便重新办理。",
        "en": "Please say why you are not satisfied, so it can be handled again.",
    },
    "public.rate.not_now": {
        "zh": "现在不能评价：问题的状态已经变化，请返回查看最新进度。",
        "en": "It cannot be rated now: its status has changed; go back to see the latest.",
    },
    "public.rate.not_open": {
        "zh": "办结后才能评价，或者您已经评价过。",
        "en": "You can rate once it is done, or you have rated it already.",
    },
    "public.rate.back": {"zh": "返回办理进度", "en": "Back to your issue"},
}
