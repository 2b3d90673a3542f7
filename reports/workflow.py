"""The monthly report workflow: open, save (draft), submit, approve, return, reopen.

draft → submitted → approved, or submitted → returned (overall comment and comments on values) →
submitted again; approved → returned only by a reopen with a written reason. Every transition is a
conditional UPDATE on (status, version), so of two reviewers, or a leader saving while the county
approves, exactly one wins and the other gets `ReportConflict`. Every transition and every value change
is recorded (ReportEvent, ReportValueChange). Approval, return and reopen enqueue the rollup of the
figures the report touches once the transaction commits.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from reports.choices import ActivitySource, ReportStatus
from reports.models import (
    Activity,
    ActivityTypeIndicator,
    Indicator,
    MonthlyReport,
    ReportEvent,
    ReportValue,
    ReportValueChange,
    ReviewComment,
)
from reports.periods import add_months, due_date_for, month_start
from reports.validation import Check, check_values, parse_value, submission_errors
from teams.models import Batch, WorkTeam
from zhucun.scope import Action

EDITABLE = (ReportStatus.DRAFT, ReportStatus.RETURNED)
HISTORY_MONTHS = 12

# Called with a report's id after a transition that changes what the statistics count (submit changes the
# completeness; approve, return and reopen the figures too). reports.apps registers the statistics job here,
# so this module does not import the statistics code.
after_review_hooks: list[Callable[..., None]] = []  # hook(report_id, *, figures: bool)


class ReportConflict(Exception):
    """Somebody else changed the report first (another reviewer, or the leader while the county acted)."""

    def __init__(self, report: MonthlyReport):
        self.report = report
        super().__init__(
            f"该月报已被他人更新（当前状态：{report.get_status_display()}，版本 {report.version}），请刷新后重试。"
        )


def _require(actor, action: Action, report: MonthlyReport) -> None:
    if not MonthlyReport.objects.visible_to(actor, action).filter(pk=report.pk).exists():
        raise PermissionDenied("您没有权限执行此操作。")


def indicators_for_batch(batch: Batch) -> list[Indicator]:
    """The indicators a report of this batch asks for: active from (or before) it and not retired before it."""
    return list(Indicator.objects.active_in(batch).order_by("sort_order", "code"))


def report_indicators(report: MonthlyReport) -> list[Indicator]:
    """The batch's indicators plus any retired one that already holds a value in this report."""
    active = indicators_for_batch(report.team.batch)
    ids = {indicator.pk for indicator in active}
    retired = Indicator.objects.filter(values__report=report).exclude(pk__in=ids)
    return sorted([*active, *retired], key=lambda indicator: (indicator.sort_order, indicator.code))


# -- reading the team's history -----------------------------------------------------------------------------


def team_history(*, team: WorkTeam, month: datetime.date) -> dict[int, list[tuple[datetime.date, Decimal]]]:
    """Indicator id → [(month, value)] of the team's earlier submitted or approved reports (last 12 months)."""
    rows = (
        ReportValue.objects.filter(
            report__team=team,
            report__month__lt=month,
            report__status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED),
            value__isnull=False,
        )
        .order_by("report__month")
        .values_list("indicator_id", "report__month", "value")
    )
    history: dict[int, list[tuple[datetime.date, Decimal]]] = {}
    for indicator_id, report_month, value in rows:
        history.setdefault(indicator_id, []).append((report_month, value))
    return {key: series[-HISTORY_MONTHS:] for key, series in history.items()}


def check_report(report: MonthlyReport, values: dict[int, Decimal | None] | None = None) -> Check:
    indicators = report_indicators(report)
    if values is None:
        values = dict(report.values.values_list("indicator_id", "value"))
    history = team_history(team=report.team, month=report.month)
    previous_month = add_months(report.month, -1)
    last_month = {key: series[-1][1] for key, series in history.items() if series and series[-1][0] == previous_month}
    return check_values(
        indicators=indicators,
        values=values,
        history={key: [value for _, value in series] for key, series in history.items()},
        last_month=last_month,
    )


# -- pre-fill from the activity log --------------------------------------------------------------------------


def activity_prefill(*, team: WorkTeam, month: datetime.date) -> dict[int, Decimal]:
    """What the month's logged activities add to each mapped indicator: +1 per activity, or its
    participants or households."""
    activities = Activity.objects.filter(team=team, date__gte=month, date__lt=add_months(month_start(month), 1))
    totals: dict[int, Decimal] = {}
    mappings = ActivityTypeIndicator.objects.filter(activity_type__activities__in=activities).values(
        "indicator_id", "source", "activity_type_id"
    )
    per_type = {
        row["activity_type"]: row
        for row in activities.values("activity_type").annotate(
            count=models.Count("id"), participants=Sum("participants"), households=Sum("households")
        )
    }
    seen = set()
    for mapping in mappings:
        key = (mapping["indicator_id"], mapping["source"], mapping["activity_type_id"])
        if key in seen:
            continue
        seen.add(key)
        figures = per_type[mapping["activity_type_id"]]
        amount = {
            ActivitySource.COUNT: figures["count"],
            ActivitySource.PARTICIPANTS: figures["participants"] or 0,
            ActivitySource.HOUSEHOLDS: figures["households"] or 0,
        }[mapping["source"]]
        totals[mapping["indicator_id"]] = totals.get(mapping["indicator_id"], Decimal(0)) + Decimal(amount)
    return totals


# -- transitions ---------------------------------------------------------------------------------------------


def _record(report: MonthlyReport, kind: str, actor, from_status: str, comment: str = "") -> ReportEvent:
    return ReportEvent.objects.create(
        report=report, kind=kind, actor=actor, from_status=from_status, to_status=report.status, comment=comment
    )


def _transition(
    *, report: MonthlyReport, from_statuses: tuple[str, ...], expected_version: int | None, **changes
) -> MonthlyReport:
    """The conditional UPDATE every transition goes through; raises ReportConflict when it matches nothing."""
    guard = Q(pk=report.pk, status__in=from_statuses)
    if expected_version is not None:
        guard &= Q(version=expected_version)
    updated = MonthlyReport.objects.filter(guard).update(version=F("version") + 1, updated_at=timezone.now(), **changes)
    fresh = MonthlyReport.objects.select_related("team__batch").get(pk=report.pk)
    if not updated:
        raise ReportConflict(fresh)
    return fresh


def _get_or_create(*, team: WorkTeam, month: datetime.date, actor) -> tuple[MonthlyReport, bool]:
    report, created = MonthlyReport.objects.get_or_create(
        team=team, month=month, defaults={"due_date": due_date_for(month)}
    )
    if created:
        event = _record(report, ReportEvent.Kind.CREATED, actor, "")
        prefill = activity_prefill(team=team, month=month)
        ReportValue.objects.bulk_create(
            [ReportValue(report=report, indicator_id=key, value=value) for key, value in prefill.items()]
        )
        ReportValueChange.objects.bulk_create(
            [ReportValueChange(event=event, indicator_id=key, new_value=value) for key, value in prefill.items()]
        )
    return report, created


@transaction.atomic
def report_open(*, actor, team: WorkTeam, month: datetime.date) -> MonthlyReport:
    """The team's report for `month`, created as a draft (pre-filled from the activity log) if missing."""
    if not WorkTeam.objects.visible_to(actor, Action.SUBMIT_REPORT).filter(pk=team.pk).exists():
        raise PermissionDenied("您没有权限填写该工作队的月报。")
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError({"month": "不能填写未来月份的月报。"})
    return _get_or_create(team=team, month=month, actor=actor)[0]


@transaction.atomic
def report_create_draft(*, team: WorkTeam, month: datetime.date) -> tuple[MonthlyReport, bool]:
    """For the monthly beat job: the draft of an active team, without an actor. Idempotent."""
    return _get_or_create(team=team, month=month_start(month), actor=None)


@dataclass
class SaveResult:
    report: MonthlyReport
    errors: dict[str, list[str]] = field(default_factory=dict)  # input that could not be saved, by code
    check: Check = field(default_factory=Check)


NARRATIVE_FIELDS = ("summary", "problems", "next_plan")


@transaction.atomic
def report_save(
    *,
    actor,
    report: MonthlyReport,
    values: dict[str, object] | None = None,
    notes: dict[str, str] | None = None,
    narrative: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> SaveResult:
    """Save a draft (or a returned report being corrected). Valid input is stored; input that is not a valid
    number is kept as typed in `draft_input` and returned as errors, so nothing typed is lost. `values` and
    `notes` are keyed by indicator code; a code absent from `values` is left as it is."""
    _require(actor, Action.SUBMIT_REPORT, report)
    report = MonthlyReport.objects.select_for_update().select_related("team__batch").get(pk=report.pk)
    if report.status not in EDITABLE:
        if report.status == ReportStatus.APPROVED:
            raise ValidationError("该月报已审核并锁定；如需修改，请联系县级管理员说明理由后重新打开。")
        raise ValidationError("该月报已提交，等待审核期间不能修改。")
    if expected_version is not None and report.version != expected_version:
        raise ReportConflict(report)
    indicators = {indicator.code: indicator for indicator in report_indicators(report)}
    existing = {row.indicator.code: row for row in report.values.select_related("indicator")}
    errors: dict[str, list[str]] = {}
    draft_input = dict(report.draft_input)
    changes: list[ReportValueChange] = []
    to_create: list[ReportValue] = []
    to_update: list[ReportValue] = []
    for code in sorted(set(values or {}) | set(notes or {})):
        indicator = indicators.get(code)
        if indicator is None:
            errors.setdefault(code, []).append("没有这个指标。")
            continue
        row = existing.get(code)
        old_value, old_note = (row.value, row.note) if row else (None, "")
        new_value, new_note = old_value, old_note
        if values is not None and code in values:
            try:
                new_value = parse_value(indicator, values[code])
                draft_input.pop(code, None)
            except ValidationError as error:
                errors.setdefault(code, []).extend(error.messages)
                draft_input[code] = str(values[code])[:100]
                new_value = old_value
        if notes is not None and code in notes:
            new_note = (notes[code] or "").strip()[:2000]
        if (new_value, new_note) == (old_value, old_note):
            continue
        changes.append(
            ReportValueChange(
                indicator=indicator, old_value=old_value, new_value=new_value, old_note=old_note, new_note=new_note
            )
        )
        if row is None:
            to_create.append(ReportValue(report=report, indicator=indicator, value=new_value, note=new_note))
        else:
            row.value, row.note = new_value, new_note
            to_update.append(row)
    narrative_changed = False
    for name, text in (narrative or {}).items():
        if name in NARRATIVE_FIELDS and getattr(report, name) != (text or "").strip():
            setattr(report, name, (text or "").strip())
            narrative_changed = True
    if changes or narrative_changed or draft_input != report.draft_input:
        ReportValue.objects.bulk_create(to_create)
        ReportValue.objects.bulk_update(to_update, ["value", "note"])
        report.draft_input = draft_input
        report.version += 1
        report.save(update_fields=[*NARRATIVE_FIELDS, "draft_input", "version", "updated_at"])
        event = _record(report, ReportEvent.Kind.SAVED, actor, report.status)
        for change in changes:
            change.event = event
        ReportValueChange.objects.bulk_create(changes)
    return SaveResult(report=report, errors=errors, check=check_report(report))


@transaction.atomic
def report_submit(*, actor, report: MonthlyReport, expected_version: int | None = None) -> MonthlyReport:
    """Submit a valid report: no errors, every warning explained, no unparsed input left. Late reports can
    still be submitted (they are marked late by their submission time)."""
    _require(actor, Action.SUBMIT_REPORT, report)
    report = MonthlyReport.objects.select_for_update().select_related("team__batch").get(pk=report.pk)
    if report.status not in EDITABLE:
        raise ReportConflict(report)
    errors: dict[str, list[str]] = {code: ["输入无效，请更正后再提交。"] for code in report.draft_input}
    notes = dict(report.values.filter(indicator__isnull=False).values_list("indicator__code", "note"))
    for code, messages in submission_errors(check=check_report(report), notes=notes).items():
        errors.setdefault(code, []).extend(messages)
    if not report.summary.strip():
        errors.setdefault("summary", []).append("请填写本月工作小结。")
    if errors:
        raise ValidationError(errors)
    from_status = report.status
    report = _transition(
        report=report,
        from_statuses=EDITABLE,
        expected_version=expected_version,
        status=ReportStatus.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=actor,
    )
    _record(report, ReportEvent.Kind.SUBMITTED, actor, from_status)
    _after_review(report, figures=False)  # the completeness counts it as submitted; no figure changes
    return report


def _after_review(report: MonthlyReport, *, figures: bool = True) -> None:
    for hook in after_review_hooks:
        transaction.on_commit(lambda hook=hook: hook(report.pk, figures=figures))


@transaction.atomic
def report_approve(
    *, actor, report: MonthlyReport, expected_version: int | None = None, comment: str = ""
) -> MonthlyReport:
    _require(actor, Action.REVIEW_REPORT, report)
    report = _transition(
        report=report,
        from_statuses=(ReportStatus.SUBMITTED,),
        expected_version=expected_version,
        status=ReportStatus.APPROVED,
        reviewed_at=timezone.now(),
        reviewed_by=actor,
        review_comment=comment.strip(),
    )
    _record(report, ReportEvent.Kind.APPROVED, actor, ReportStatus.SUBMITTED, comment.strip())
    _after_review(report)
    return report


def report_approve_many(*, actor, reports: list[MonthlyReport]) -> tuple[list[MonthlyReport], list[ReportConflict]]:
    """Approve several reports, each in its own transaction: one already taken by another reviewer does
    not stop the rest."""
    approved, conflicts = [], []
    for report in reports:
        try:
            approved.append(report_approve(actor=actor, report=report))
        except ReportConflict as conflict:
            conflicts.append(conflict)
    return approved, conflicts


@transaction.atomic
def report_return(
    *,
    actor,
    report: MonthlyReport,
    comment: str,
    value_comments: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> MonthlyReport:
    """Send a submitted report back with the county's reasons: overall, and on the values it questions."""
    _require(actor, Action.REVIEW_REPORT, report)
    value_comments = {code: text.strip() for code, text in (value_comments or {}).items() if text and text.strip()}
    if not comment.strip() and not value_comments:
        raise ValidationError({"comment": "退回时请填写退回理由。"})
    indicators = {indicator.code: indicator for indicator in report_indicators(report)}
    unknown = sorted(set(value_comments) - set(indicators))
    if unknown:
        raise ValidationError({code: ["没有这个指标。"] for code in unknown})
    report = _transition(
        report=report,
        from_statuses=(ReportStatus.SUBMITTED,),
        expected_version=expected_version,
        status=ReportStatus.RETURNED,
        reviewed_at=timezone.now(),
        reviewed_by=actor,
        review_comment=comment.strip(),
    )
    event = _record(report, ReportEvent.Kind.RETURNED, actor, ReportStatus.SUBMITTED, comment.strip())
    ReviewComment.objects.bulk_create(
        [ReviewComment(event=event, indicator=indicators[code], comment=text) for code, text in value_comments.items()]
    )
    _after_review(report)
    return report


@transaction.atomic
def report_reopen(*, actor, report: MonthlyReport, reason: str, expected_version: int | None = None) -> MonthlyReport:
    """Unlock an approved report so the team can correct it; only with a written reason, which travels with it."""
    _require(actor, Action.REVIEW_REPORT, report)
    if not reason.strip():
        raise ValidationError({"reason": "重新打开已审核的月报必须填写理由。"})
    report = _transition(
        report=report,
        from_statuses=(ReportStatus.APPROVED,),
        expected_version=expected_version,
        status=ReportStatus.RETURNED,
        review_comment=reason.strip(),
    )
    _record(report, ReportEvent.Kind.REOPENED, actor, ReportStatus.APPROVED, reason.strip())
    _after_review(report)
    return report
