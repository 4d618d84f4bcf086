"""Times in words, both ways (pure: no I/O, no clock unless a date is passed in).

- `parse_preferences("weekday mornings")` → a `TimePreference` that filters free times and says
  what it did in plain words ("Here are the soonest weekday-morning times").
- `format_slot`, `format_button`, `format_long`: a start time in the clinic's time zone
  ("Tue 9 Dec, 10:30 am").
- `pick_slot("the Thursday one", offered, tz)`: which offered time the person chose, or that
  none suit, they want something later or next week, or other times ("anything Friday?").

Hours without am/pm are read the way people book a physio: 7–11 are mornings, 12 is midday,
1–6 are afternoons ("after 4" is 4 pm), unless the words around them say otherwise ("evenings
after 7"). Day parts follow Cliniko's online bookings: morning before midday, afternoon midday
to 5 pm, evening from 5 pm. Text goes through the project's `prep` (lower case, typo fixes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.triage.parsing.text import parse_yes_no, prep, rx

DAY = 24 * 60
MORNING = (0, 12 * 60)
AFTERNOON = (12 * 60, 17 * 60)
EVENING = (17 * 60, DAY)
LUNCHTIME = (12 * 60, 14 * 60)
EARLY_MORNING = (0, 9 * 60)
LATE_AFTERNOON = (15 * 60, 17 * 60)
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
ALL_DAYS = frozenset(range(7))
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

Window = tuple[int, int]  # minutes after local midnight, [start, end)


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


# --- formatting --------------------------------------------------------------------------------


def _clock(hour: int, minute: int, *, always_minutes: bool, space: str = " ") -> str:
    if hour == 12 and minute == 0 and not always_minutes:
        return "midday"
    if hour in (0, 24) and minute == 0 and not always_minutes:
        return "midnight"
    suffix = "am" if hour % 24 < 12 else "pm"
    twelve = hour % 12 or 12
    text = f"{twelve}:{minute:02d}" if (minute or always_minutes) else f"{twelve}"
    return f"{text}{space}{suffix}"


def format_time(moment: datetime, tz: ZoneInfo | str) -> str:
    """ "10:30 am" in the clinic's time zone."""
    local = moment.astimezone(_zone(tz))
    return _clock(local.hour, local.minute, always_minutes=True)


def format_slot(moment: datetime, tz: ZoneInfo | str) -> str:
    """ "Tue 9 Dec, 10:30 am": a start time in words, in the clinic's time zone."""
    local = moment.astimezone(_zone(tz))
    return f"{local:%a} {local.day} {local:%b}, {_clock(local.hour, local.minute, always_minutes=True)}"


def format_button(moment: datetime, tz: ZoneInfo | str) -> str:
    """ "Tue 9 Dec 10:30am": short enough for a chat button."""
    local = moment.astimezone(_zone(tz))
    return (
        f"{local:%a} {local.day} {local:%b} {_clock(local.hour, local.minute, always_minutes=True, space='')}"
    )


def format_long(moment: datetime, tz: ZoneInfo | str) -> str:
    """ "Tuesday 9 December at 10:30 am", for confirmations."""
    local = moment.astimezone(_zone(tz))
    return f"{local:%A} {local.day} {local:%B} at {_clock(local.hour, local.minute, always_minutes=True)}"


def _minutes_words(minutes: int) -> str:
    return _clock(minutes // 60, minutes % 60, always_minutes=False)


# --- preferences -------------------------------------------------------------------------------


def _subtract(windows: Sequence[Window], cut: Sequence[Window]) -> tuple[Window, ...]:
    result = list(windows)
    for c_start, c_end in cut:
        pieces: list[Window] = []
        for start, end in result:
            if c_end <= start or c_start >= end:
                pieces.append((start, end))
                continue
            if start < c_start:
                pieces.append((start, c_start))
            if c_end < end:
                pieces.append((c_end, end))
        result = pieces
    return tuple(result)


def _merge(windows: Iterable[Window]) -> tuple[Window, ...]:
    merged: list[Window] = []
    for start, end in sorted(w for w in windows if w[0] < w[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _days_words(days: frozenset[int]) -> tuple[str, str]:
    """(adjective before "times", phrase after it) for a set of weekdays."""
    if not days or days == ALL_DAYS:
        return "", ""
    if days == WEEKDAYS:
        return "weekday", ""
    if days == WEEKEND:
        return "weekend", ""
    missing = sorted(ALL_DAYS - days)
    if len(days) >= 5:
        return "", "except on " + " and ".join(f"{DAY_NAMES[d]}s" for d in missing)
    ordered = sorted(days)
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES[ordered[0]]} to {DAY_NAMES[ordered[-1]]}", ""
    names = [DAY_NAMES[d] for d in ordered]
    if len(names) == 1:
        return names[0], ""
    return ", ".join(names[:-1]) + " or " + names[-1], ""


_PERIOD_WORDS: dict[Window, str] = {MORNING: "morning", AFTERNOON: "afternoon", EVENING: "evening"}


def _window_words(windows: tuple[Window, ...]) -> tuple[str, str]:
    """(adjective, phrase) for time-of-day windows: ("morning", ""), ("", "after 4 pm")."""
    if not windows or windows == ((0, DAY),):
        return "", ""
    if all(w in _PERIOD_WORDS for w in windows):
        return " or ".join(_PERIOD_WORDS[w] for w in windows), ""
    phrases = []
    for start, end in windows:
        if (start, end) == LUNCHTIME:
            phrases.append("around lunchtime")
        elif start == 0:
            phrases.append(f"before {_minutes_words(end)}")
        elif end == DAY:
            phrases.append(f"after {_minutes_words(start)}")
        else:
            phrases.append(f"between {_minutes_words(start)} and {_minutes_words(end)}")
    return "", " or ".join(phrases)


@dataclass(frozen=True)
class TimeRule:
    """One kind of time that suits: on these days, at these times of day, within these dates."""

    days: frozenset[int] = ALL_DAYS  # 0 = Monday … 6 = Sunday
    windows: tuple[Window, ...] = ((0, DAY),)
    dates: tuple[date, date] | None = None  # inclusive, local dates
    date_words: str = ""  # "tomorrow", "next week"

    def matches(self, local: datetime) -> bool:
        if self.dates and not (self.dates[0] <= local.date() <= self.dates[1]):
            return False
        if local.weekday() not in self.days:
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.windows)

    def words(self) -> tuple[str, str]:
        """(adjective, phrase after "times")."""
        day_adj, day_phrase = _days_words(self.days)
        time_adj, time_phrase = _window_words(self.windows)
        if day_adj in ("weekday", "weekend") and time_adj:
            adjective = f"{day_adj}-{time_adj}"  # "weekday-morning times"
        else:
            adjective = " ".join(w for w in (day_adj, time_adj) if w)
        phrase = " ".join(w for w in (time_phrase, day_phrase, self.date_words) if w)
        return adjective, phrase


@dataclass(frozen=True)
class TimePreference:
    """What times suit the person: any of `rules`; none means any time. `understood` is False
    when the words named no day or time the parser knows (then it is any time, and the
    assistant should say it is showing the soonest times)."""

    rules: tuple[TimeRule, ...] = ()
    understood: bool = True
    text: str = ""

    @property
    def is_any(self) -> bool:
        return not self.rules

    def matches(self, starts_at: datetime, tz: ZoneInfo | str) -> bool:
        if not self.rules:
            return True
        local = starts_at.astimezone(_zone(tz))
        return any(rule.matches(local) for rule in self.rules)

    @property
    def earliest_date(self) -> date | None:
        """The first day any rule allows, when every rule is limited to dates ("next week")."""
        if not self.rules or any(r.dates is None for r in self.rules):
            return None
        return min(r.dates[0] for r in self.rules if r.dates)

    @property
    def description(self) -> str:
        """ "weekday-morning times", "times after 4 pm", "Saturday times", "times"."""
        if not self.rules:
            return "times"
        words = [rule.words() for rule in self.rules]
        if all(not phrase for _, phrase in words):
            adjectives = [adj for adj, _ in words if adj]
            return " or ".join(adjectives) + " times" if adjectives else "times"
        return " or ".join(" ".join(w for w in (adj, "times", phrase) if w) for adj, phrase in words)

    @property
    def heading(self) -> str:
        """ "Here are the soonest weekday-morning times"."""
        return f"Here are the soonest {self.description}"


ANY_TIME = TimePreference()

# --- reading preferences -----------------------------------------------------------------------

_DAY_FORMS = (
    r"mon(?:day)?s?",
    r"tue(?:s(?:day)?)?s?",
    r"wed(?:nesday)?s?",
    r"thu(?:r(?:s(?:day)?)?)?s?",
    r"fri(?:day)?s?",
    r"sat(?:urday)?s?",
    r"sun(?:day)?s?",
)
_DAY_RES = [rx(rf"\b(?:{form})\b") for form in _DAY_FORMS]
_DAY_ALT = "|".join(f"(?:{form})" for form in _DAY_FORMS)
_DAY_RANGE_RE = rx(rf"\b({_DAY_ALT})\s*(?:-|–|to|through|thru|until|till)\s*({_DAY_ALT})\b")
_WEEKDAYS_RE = rx(
    r"\bweek ?days?\b|\bduring the week\b|\bwork(?:ing)? ?days?\b|\bbusiness days?\b|\bin the week\b"
)
_WEEKEND_RE = rx(r"\bweek ?ends?\b")


def _time(name: str) -> str:
    """A typed time as named groups: `{name}h`, `{name}m`, `{name}mer`, or `{name}w` (midday)."""
    return (
        rf"(?:(?P<{name}h>\d{{1,2}})(?:[:.](?P<{name}m>\d{{2}}))?(?:\s*(?P<{name}mer>am|pm|o'?clock))?"
        rf"|(?P<{name}w>noon|midday|lunch ?time|lunch))"
    )


_BEFORE_RE = rx(rf"\b(?:before|by|until|till|til|up to|no later than|earlier than)\s+{_time('a')}")
_AFTER_RE = rx(rf"\b(?:after|from|past|later than|not before|no earlier than)\s+{_time('a')}")
_BETWEEN_RE = rx(
    rf"\b(?P<pre>between|from)?\s*{_time('a')}\s*(?P<sep>-|–|\band\b|\bto\b|\buntil\b|\btill\b)\s*{_time('b')}"
)

_PERIOD_RES: tuple[tuple[re.Pattern[str], Window], ...] = (
    (rx(r"\bearly (?:in the )?mornings?\b|\bfirst thing\b|\bbefore work\b"), EARLY_MORNING),
    (rx(r"\blate (?:in the )?(?:afternoons?|arvos?)\b"), LATE_AFTERNOON),
    (rx(r"\bafter school\b"), (15 * 60, DAY)),
    (rx(r"\bmornings?\b|\bmorn\b|\bbrekky\b"), MORNING),
    (rx(r"\bafternoons?\b|\barvos?\b"), AFTERNOON),
    (rx(r"\bevenings?\b|\bnights?\b|\bafter work\b|\bafter hours\b"), EVENING),
    (rx(r"\blunch ?times?\b|\blunch\b|\bmidday\b|\bnoon\b|\bmiddle of the day\b"), LUNCHTIME),
)
_ANY_RE = rx(
    r"\bany ?time\b|\bwhenever\b|\bflexible\b|\bno preference\b|\b(?:don't|dont|do not) mind\b"
    r"|\bany ?day\b|\bany ?thing\b|\bwhatever\b|\bsoonest\b|\basap\b|\bas soon as possible\b"
    r"|\bnot fussed\b|\bi'?m easy\b|\beither\b|\ball good\b|\bno worries\b|\bdoesn'?t matter\b"
)
_NEGATION_RE = rx(
    r"\b(?:not|no|except|excluding|but not|other than|apart from|never|can'?t do|cannot do|can not do"
    r"|can'?t make|unable to do|avoid)\b"
)
_SPLIT_RE = rx(r"\s*(?:,|;|\bor\b|\band\b|/|\bor else\b|\balso\b|\bplus\b)\s*")
_TODAY_RE = rx(r"\btoday\b|\btonight\b")
_TOMORROW_RE = rx(r"\btomorrow\b|\btmrw\b|\btmr\b")
_NEXT_WEEK_RE = rx(r"\bnext week\b")
_THIS_WEEK_RE = rx(r"\bthis week\b|\brest of the week\b")


def _minutes(m: re.Match[str], name: str, period: Window | None) -> int | None:
    """Minutes after midnight for the typed time in groups `name*`, or None if it isn't one."""
    if m.group(f"{name}w"):
        return 12 * 60
    if not m.group(f"{name}h"):
        return None
    hour, minute = int(m.group(f"{name}h")), int(m.group(f"{name}m") or 0)
    if minute > 59 or hour > 23:
        return None
    meridiem = m.group(f"{name}mer") or ""
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif (
        meridiem not in ("am", "pm")
        and hour < 12
        and (period in (AFTERNOON, EVENING, LATE_AFTERNOON) or hour <= 6)
    ):
        hour += 12  # "after 4" is 4 pm; "evenings after 7" is 7 pm
    return hour * 60 + minute


@dataclass
class _Segment:
    text: str
    days: frozenset[int] | None = None
    excluded_days: set[int] = field(default_factory=set)
    windows: list[Window] | None = None
    excluded_windows: list[Window] = field(default_factory=list)
    dates: tuple[date, date] | None = None
    date_words: str = ""
    any_time: bool = False

    @property
    def has_when(self) -> bool:
        return self.days is not None or self.dates is not None

    @property
    def has_times(self) -> bool:
        return self.windows is not None

    @property
    def only_negative(self) -> bool:
        return bool(self.excluded_days or self.excluded_windows) and not (self.has_when or self.has_times)

    def negate(self) -> None:
        """ "not Mondays or Fridays": a bare day after a refusal is refused too."""
        self.excluded_days |= set(self.days or ())
        self.excluded_windows += self.windows or []
        self.days, self.windows = None, None


def _negated(segment: str, start: int) -> bool:
    return bool(_NEGATION_RE.search(segment[:start]))


def _read_dates(t: str, seg: _Segment, today: date | None) -> None:
    if today is None:
        return
    if _TODAY_RE.search(t):
        seg.dates, seg.date_words = (today, today), "today"
    elif _TOMORROW_RE.search(t):
        tomorrow = today + timedelta(days=1)
        seg.dates, seg.date_words = (tomorrow, tomorrow), "tomorrow"
    elif _NEXT_WEEK_RE.search(t):
        monday = today + timedelta(days=7 - today.weekday())
        seg.dates, seg.date_words = (monday, monday + timedelta(days=6)), "next week"
    elif _THIS_WEEK_RE.search(t):
        seg.dates, seg.date_words = (today, today + timedelta(days=6 - today.weekday())), "this week"


def _day_index(word: str) -> int:
    return next(i for i, pattern in enumerate(_DAY_RES) if pattern.fullmatch(word))


def _read_segment(t: str, today: date | None) -> _Segment:
    seg = _Segment(text=t, any_time=bool(_ANY_RE.search(t)))
    _read_dates(t, seg, today)
    used = [False] * len(t)  # characters already read, so "mon-fri" is not also "mon" and "fri"

    def claim(m: re.Match[str]) -> bool:
        if any(used[m.start() : m.end()]):
            return False
        used[m.start() : m.end()] = [True] * (m.end() - m.start())
        return True

    days: set[int] = set()

    def add_days(found: Iterable[int], start: int) -> None:
        (seg.excluded_days if _negated(t, start) else days).update(found)

    for m in _DAY_RANGE_RE.finditer(t):
        if claim(m):
            first, last = _day_index(m.group(1)), _day_index(m.group(2))
            add_days(
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)], m.start()
            )
    for pattern, found in ((_WEEKDAYS_RE, WEEKDAYS), (_WEEKEND_RE, WEEKEND)):
        for m in pattern.finditer(t):
            if claim(m):
                add_days(found, m.start())
    for index, pattern in enumerate(_DAY_RES):
        for m in pattern.finditer(t):
            if claim(m):
                add_days([index], m.start())
    if days:
        seg.days = frozenset(days)

    # Clock times before day parts, so "before lunch" is a bound and not lunchtime.
    bound_matches: list[tuple[re.Match[str], str]] = []
    for m in _BETWEEN_RE.finditer(t):
        if m.group("sep") == "and" and m.group("pre") != "between":
            continue  # "2 and 3" alone is not a time range
        if (m.group("ah") or m.group("aw")) and (m.group("bh") or m.group("bw")) and claim(m):
            bound_matches.append((m, "between"))
    # "not before 10" is an after, "no later than 3" a before: the earlier-starting reading wins
    bounded = [
        (m, kind)
        for pattern, kind in ((_BEFORE_RE, "before"), (_AFTER_RE, "after"))
        for m in pattern.finditer(t)
    ]
    for m, kind in sorted(bounded, key=lambda item: (item[0].start(), -item[0].end())):
        if claim(m):
            bound_matches.append((m, kind))
    periods: list[Window] = []
    for pattern, window in _PERIOD_RES:
        for m in pattern.finditer(t):
            if claim(m):
                (seg.excluded_windows if _negated(t, m.start()) else periods).append(window)

    context = periods[0] if len(periods) == 1 else None
    bounds: list[Window] = []
    after, before = 0, DAY  # "after 9 before 3": both at once
    for m, kind in bound_matches:
        start = _minutes(m, "a", context)
        if start is None:
            continue
        if kind == "before":
            before = min(before, start)
        elif kind == "after":
            after = max(after, start)
        else:
            end = _minutes(m, "b", context)
            if end is not None and end <= start and end < 12 * 60:
                end += 12 * 60  # "10 to 2": until 2 pm
            if end is not None and start < end:
                bounds.append((start, end))
    if (after, before) != (0, DAY):
        bounds.append((after, before) if after < before else (0, 0))
    if bounds and periods:
        # "mornings before 9": both at once
        seg.windows = [
            (max(p[0], b[0]), min(p[1], b[1]))
            for p in periods
            for b in bounds
            if max(p[0], b[0]) < min(p[1], b[1])
        ]
    elif bounds or periods:
        seg.windows = bounds or periods
    return seg


_AFTER_AND_BEFORE_RE = rx(
    rf"(?P<first>\b(?:after|from)\s+{_time('a')})\s*(?:,|\band\b|\bbut\b)?\s*"
    rf"(?P<second>\b(?:before|until|till)\s+{_time('b')})"
)
_BARE_WORD_RE = rx(
    rf"^(?:on |in the |the )?(?:{_DAY_ALT}|week ?days?|week ?ends?|mornings?|afternoons?|evenings?|arvos?)$"
)


def parse_preferences(text: str | None, *, today: date | None = None) -> TimePreference:
    """What the person said about times → a filter and its plain-words description.
    `today` (the clinic's local date) lets "tomorrow" and "next week" be read too."""
    t = prep(text)
    if not t:
        return TimePreference(understood=False, text=text or "")
    # "between 10 and 2" must survive the split on "and"
    t = _BETWEEN_RE.sub(
        lambda m: m.group(0).replace(" and ", " to ") if m.group("pre") == "between" else m.group(0), t
    )
    t = _AFTER_AND_BEFORE_RE.sub(r"\g<first> \g<second>", t)  # "after 9 and before 3" is one window
    segments = [_read_segment(s, today) for s in _SPLIT_RE.split(t) if s.strip()]
    for before, seg in zip(segments, segments[1:], strict=False):
        if before.only_negative and _BARE_WORD_RE.match(seg.text):
            seg.negate()
    excluded_days = frozenset().union(*(s.excluded_days for s in segments))
    excluded_windows = [w for s in segments for w in s.excluded_windows]
    useful = [s for s in segments if s.has_when or s.has_times]

    rules: list[TimeRule] = []
    i = 0
    while i < len(useful):
        seg = useful[i]
        following = useful[i + 1] if i + 1 < len(useful) else None
        if following is not None and seg.has_when and not seg.has_times and following.has_times:
            if following.has_when:
                rules.append(_rule(seg, following.windows))  # "Tuesday or Thursday afternoon"
                i += 1
            else:
                rules.append(_rule(seg, following.windows))  # "weekdays, after 4"
                i += 2
            continue
        if (
            following is not None
            and seg.has_times
            and not seg.has_when
            and following.has_when
            and not following.has_times
        ):
            rules.append(_rule(following, seg.windows))  # "mornings, weekdays only"
            i += 2
            continue
        rules.append(_rule(seg, seg.windows))
        i += 1
    if not rules and (excluded_days or excluded_windows):
        rules.append(TimeRule())  # only refusals: "not Mondays"
    rules = [
        TimeRule(
            days=r.days - excluded_days,
            windows=_subtract(r.windows, excluded_windows),
            dates=r.dates,
            date_words=r.date_words,
        )
        for r in rules
    ]
    rules = [r for r in rules if r.days and r.windows]
    if not rules or all(r == TimeRule() for r in rules):
        understood = bool(rules) or any(s.any_time for s in segments)
        return TimePreference(understood=understood, text=text or "")
    return TimePreference(rules=_joined(rules), text=text or "")


def _joined(rules: list[TimeRule]) -> tuple[TimeRule, ...]:
    """ "Tuesday or Thursday afternoon" is one rule for two days, not two rules."""
    joined: list[TimeRule] = []
    for rule in dict.fromkeys(rules):
        same = next(
            (
                i
                for i, other in enumerate(joined)
                if len(rule.days) == 1
                and len(other.days) <= 3
                and other.days not in (WEEKDAYS, WEEKEND)
                and (other.windows, other.dates, other.date_words)
                == (rule.windows, rule.dates, rule.date_words)
            ),
            None,
        )
        if same is None:
            joined.append(rule)
        else:
            joined[same] = TimeRule(joined[same].days | rule.days, rule.windows, rule.dates, rule.date_words)
    return tuple(joined)


def _rule(seg: _Segment, windows: list[Window] | None) -> TimeRule:
    return TimeRule(
        days=seg.days if seg.days is not None else ALL_DAYS,
        windows=_merge(windows) if windows is not None else ((0, DAY),),
        dates=seg.dates,
        date_words=seg.date_words,
    )


def next_week_start(now: datetime, tz: ZoneInfo | str) -> datetime:
    """Monday 00:00 of next week in the clinic's time zone, as UTC ("next week" → search from)."""
    zone = _zone(tz)
    today = now.astimezone(zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(0, 0), tzinfo=zone).astimezone(timezone.utc)


# --- picking an offered time -------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What the person answered to a list of offered times.

    kind: "slot" (`index` into the offered list), "ambiguous" (`candidates`: ask which of
    these), "none_suit", "later" (search after the last offered time), "next_week",
    "other_times" (`preference`: offer times matching what they just said, "anything Friday?"),
    or "unclear" (ask again).
    """

    kind: str
    index: int | None = None
    candidates: tuple[int, ...] = ()
    preference: TimePreference | None = None


_ORDINAL_WORDS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4}
_ORDINAL_RE = rx(r"\b(first|second|third|fourth|fifth)\b(?! thing)")
_OPTION_RE = rx(r"\b(?:option|number|choice)\s*#?\s*(\d)\b|#\s*(\d)\b")
_EARLIEST_RE = rx(r"\b(?:earliest|soonest|first available|asap|as soon as possible)\b")
_LAST_RE = rx(r"\b(?:last|latest|final)\b|\bthe later one\b")
_LATER_RE = rx(
    r"\blater\b|\bafter (?:that|those|these|them)\b|\bfurther (?:out|ahead|along)\b|\bnot so soon\b"
)
_NEXT_WEEK_PICK_RE = rx(r"\bnext week\b|\bthe week after\b|\bfollowing week\b")
_NONE_SUIT_RE = rx(
    r"\bnone\b|\bneither\b|\bno good\b|\bnot (?:any|one) of (?:these|them|those)\b"
    r"|\b(?:can't|cant|cannot|can not|couldn't|couldnt) (?:make|do) (?:any|those|these|them|it|that)\b"
    r"|\b(?:doesn't|doesnt|don't|dont|do not|does not|won't|wont|wouldn't|wouldnt) (?:suit|work)\b"
    r"|\bnothing (?:suits|works|there)\b|\bother (?:times?|options?|days?)\b|\bdifferent (?:times?|days?)\b"
    r"|\bnot (?:suitable|convenient|good)\b|\bno thanks?\b|\bno,? thank you\b"
)
_REFUSAL_RE = rx(
    r"\b(?:not|can't|cant|cannot|can not|couldn't|couldnt|don't|dont|doesn't|doesnt|won't|wont|isn't|isnt"
    r"|no good|none|neither)\b"
)
_MONTH_ALT = "|".join(MONTHS)
_DATE_DM_RE = rx(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({_MONTH_ALT})[a-z]*\b")
_DATE_MD_RE = rx(rf"\b({_MONTH_ALT})[a-z]* (\d{{1,2}})(?:st|nd|rd|th)?\b")
_DAY_OF_MONTH_RE = rx(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_SLASH_DATE_RE = rx(r"\b(\d{1,2})/(\d{1,2})\b")
_CLOCK_RE = rx(r"\b(\d{1,2})[:.](\d{2})\s*(am|pm)?|\b(\d{1,2})\s*(am|pm|o'?clock)\b|\b(noon|midday)\b")
_AT_HOUR_RE = rx(rf"\b(?:at|@|the) (\d{{1,2}})\b(?!\s*(?:st|nd|rd|th|/|:|\.\d|of\b|{_MONTH_ALT}))")
_BARE_NUMBER_RE = rx(r"^(?:number |option |#)?(\d)\W*$")
_THAT_ONE_RE = rx(r"\b(?:that one|that works|that suits|sounds good|perfect|great|book it|yes please)\b")


def _times_in(t: str) -> list[tuple[set[int], bool]]:
    """Clock times named: (candidate minutes after midnight, whether minutes were given)."""
    found: list[tuple[set[int], bool]] = []
    for m in _CLOCK_RE.finditer(t):
        if m.group(6):
            found.append(({12 * 60}, True))
            continue
        if m.group(1):
            hour, minute, meridiem, exact = int(m.group(1)), int(m.group(2)), m.group(3), True
        else:
            hour, minute, meridiem, exact = int(m.group(4)), 0, m.group(5), False
        if hour > 23 or minute > 59:
            continue
        if meridiem in ("am", "pm"):
            found.append(({(hour % 12 + (12 if meridiem == "pm" else 0)) * 60 + minute}, exact))
        else:
            found.append(
                ({hour * 60 + minute} | ({(hour + 12) * 60 + minute} if hour < 12 else set()), exact)
            )
    if not found:
        for m in _AT_HOUR_RE.finditer(t):
            hour = int(m.group(1))
            if hour <= 23:
                found.append(({hour * 60} | ({(hour + 12) * 60} if hour < 12 else set()), False))
    return found


def pick_slot(
    text: str | None, offered: Sequence[datetime], tz: ZoneInfo | str, *, today: date | None = None
) -> Choice:
    """Which of the `offered` start times the person chose, in their own words: "the Thursday
    one", "2:30", "10:30 on Tuesday", "the first one", "the earliest", "option 3", "the 9th";
    or "none of these suit", "something later", "next week", "have you got Friday afternoon?"."""
    t = prep(text)
    if not t or not offered:
        return Choice("unclear")
    zone = _zone(tz)
    local = [moment.astimezone(zone) for moment in offered]
    everything = list(range(len(offered)))

    bare = _BARE_NUMBER_RE.match(t)
    if bare:
        number = int(bare.group(1))
        return Choice("slot", index=number - 1) if 1 <= number <= len(offered) else Choice("unclear")
    if len(offered) == 1 and (parse_yes_no(t) is True or _THAT_ONE_RE.search(t)):
        return Choice("slot", index=0)

    candidates = everything
    cue = False  # something in the text narrows the offered times down

    if today is not None and (_TOMORROW_RE.search(t) or _TODAY_RE.search(t)):
        wanted = today + timedelta(days=1 if _TOMORROW_RE.search(t) else 0)
        candidates, cue = [i for i in candidates if local[i].date() == wanted], True
    named_days = {i for i, pattern in enumerate(_DAY_RES) if pattern.search(t)}
    if named_days:
        candidates, cue = [i for i in candidates if local[i].weekday() in named_days], True

    dates: set[tuple[int, int | None]] = set()
    for m in _DATE_DM_RE.finditer(t):
        dates.add((int(m.group(1)), MONTHS.index(m.group(2)) + 1))
    for m in _DATE_MD_RE.finditer(t):
        dates.add((int(m.group(2)), MONTHS.index(m.group(1)) + 1))
    for m in _SLASH_DATE_RE.finditer(t):
        dates.add((int(m.group(1)), int(m.group(2))))  # Australian day/month
    ordinal_number: int | None = None  # "the 3rd": a date if a time is on the 3rd, else option 3
    if not dates:
        for m in _DAY_OF_MONTH_RE.finditer(t):
            number = int(m.group(1))
            if any(moment.day == number for moment in local):
                dates.add((number, None))
            else:
                ordinal_number = number
    if dates:
        candidates = [
            i
            for i in candidates
            if any(local[i].day == d and month in (None, local[i].month) for d, month in dates)
        ]
        cue = True

    for options, exact in _times_in(t):
        matched = [i for i in candidates if local[i].hour * 60 + local[i].minute in options]
        if not matched and not exact:  # "the 10am one" for 10:30
            matched = [i for i in candidates if local[i].hour in {o // 60 for o in options}]
        candidates, cue = matched, True

    for pattern, window in _PERIOD_RES:
        found = pattern.search(t)
        if found and found.group(0) != "first thing":  # "first thing Thursday": the earliest that day
            minute_of = [local[i].hour * 60 + local[i].minute for i in range(len(local))]
            candidates, cue = [i for i in candidates if window[0] <= minute_of[i] < window[1]], True
            break

    position: int | None = None
    option, ordinal = _OPTION_RE.search(t), _ORDINAL_RE.search(t)
    if option:
        position = int(option.group(1) or option.group(2)) - 1
    elif ordinal:
        position = _ORDINAL_WORDS[ordinal.group(1)]
    elif _EARLIEST_RE.search(t) or re.search(r"\bfirst thing\b", t):
        position = 0
    elif _LAST_RE.search(t):
        position = -1
    elif ordinal_number is not None and not cue:
        position = ordinal_number - 1

    wants_other = _NEXT_WEEK_PICK_RE.search(t) or (_LATER_RE.search(t) and "the later one" not in t)
    if position is not None and not wants_other:
        pool = candidates if cue else everything
        return (
            Choice("slot", index=pool[position]) if -len(pool) <= position < len(pool) else Choice("unclear")
        )

    if _NEXT_WEEK_PICK_RE.search(t):
        if cue:  # "Tuesday next week"
            preference = parse_preferences(text, today=today)
            if preference.understood and not preference.is_any:
                return Choice("other_times", preference=preference)
        return Choice("next_week")
    if wants_other:
        return Choice("later")

    if cue:
        if _REFUSAL_RE.search(t):
            # "Tuesday doesn't work": the others are still on offer
            rest = tuple(i for i in everything if i not in candidates)
            return (
                Choice("ambiguous", candidates=rest)
                if rest and len(rest) < len(everything)
                else Choice("none_suit")
            )
        if len(candidates) == 1:
            return Choice("slot", index=candidates[0])
        if candidates:
            return Choice("ambiguous", candidates=tuple(candidates))
        preference = parse_preferences(text, today=today)
        if preference.understood and not preference.is_any:
            return Choice("other_times", preference=preference)
        return Choice("unclear")

    if _NONE_SUIT_RE.search(t) or parse_yes_no(t) is False:
        return Choice("none_suit")
    preference = parse_preferences(text, today=today)
    if preference.understood and not preference.is_any:
        return Choice("other_times", preference=preference)
    return Choice("unclear")
