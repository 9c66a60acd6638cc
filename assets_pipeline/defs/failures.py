"""Why a run failed, in the user's words, read from the run's events (never from the text of a traceback).

A failed run of ``nrledger`` ends with one ``error:`` line and, for a check, the lines a user acts on: the
check's name in Chinese and English, the figure and the limit, the worst counties and the file to open. No
Python or Dagster class name is printed: the errors a user can act on (``assets_pipeline.infra.errors``) are shown
by their message; anything else is an unexpected failure of a step, named as such, with the run's id for the
details in the Dagster UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

# The types of two fields of Dagster's failure events: why a step failed (``StepFailureData.error_source``) and why
# the run did (``JobFailureData.failure_reason``). Dagster exports the events, not these.
from dagster._core.events import RunFailureReason
from dagster._core.execution.plan.objects import ErrorSource

from assets_pipeline.infra.errors import (
    InputFileError,
    OutputFolderError,
    ReferenceTableError,
    RunInProgressError,
    SettingsError,
    output_failure_cause,
)

# Exit codes of ``nrledger`` (listed in the README, "When something goes wrong").
EXIT_OK = 0
EXIT_FAILED = 1  # a file refused, a check that guards publication failed, a step failed
EXIT_USAGE = 2  # the command line could not be read (argparse)
EXIT_REFUSED = 64  # the command would leave a year's outputs mixed (``validate`` into a compiled year)
EXIT_CANNOT_WRITE = 73  # the output folder cannot be written (EX_CANTCREAT)
EXIT_IN_PROGRESS = 75  # a run of the year is already in progress (EX_TEMPFAIL)
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM

# The checks that guard publication, by name: (中文, English).
CHECK_NAMES = {
    "rows_reconcile": ("行数核对", "rows reconcile"),
    "unpriced_share": ("未定价比例", "unpriced share"),
    "no_negative_values": ("无负值", "no negative values"),
    "detail_sums_equal_ledger": ("明细合计等于台账", "detail sums equal the ledger"),
    "no_double_counting": ("无重复计算", "no double counting"),
    "excel_totals_equal_parquet": ("工作簿合计等于 Parquet", "workbook totals equal the Parquet"),
    "account_adds_up": ("平衡表勾稽相符", "the account adds up"),
    "opening_equals_last_closing": ("期初等于上年期末", "opening equals last year's closing"),
    "rows_and_columns_add_up": ("转移矩阵行列相符", "rows and columns add up"),
    "area_within_base_parcel": ("不超出底图图斑面积", "area within its base parcel"),
    "breakdowns_add_up": ("分组合计相符", "breakdowns add up"),
    "reclassified_in_equals_out": ("转入等于转出", "reclassified in equals out"),
    "land_survey_complete": ("国土调查各县齐全", "land survey complete"),
    "delivery_accepted": ("交付文件可读", "delivery accepted"),
}

# Errors a user can act on, and the exit code of each: their message says it all. A run's events hold them
# serialised, by the name of their class.
_OWN_ERRORS = {
    cls.__name__: code
    for cls, code in [
        (InputFileError, EXIT_FAILED),
        (ReferenceTableError, EXIT_FAILED),
        (SettingsError, EXIT_FAILED),
        (RunInProgressError, EXIT_IN_PROGRESS),
        (OutputFolderError, EXIT_CANNOT_WRITE),
    ]
}


@dataclass
class Failure:
    """What to print (the first line starts with ``error:``) and the exit code."""

    lines: list[str] = field(default_factory=list)
    code: int = EXIT_FAILED


def why_failed(result: dg.ExecuteInProcessResult, year: int, output_dir: Path) -> Failure:
    """Every reason a run of ``year`` failed, from its ``ExecuteInProcessResult``, each once: the failed checks
    that guard publication (a refused delivery among them), then any other step that failed, so that a run shows
    all its problems at once rather than the first one found."""
    year_root = Path(output_dir) / str(year)
    if _interrupted(result):
        return Failure([interrupted_line(year, output_dir)], EXIT_INTERRUPTED)
    lines: list[str] = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and (_blocks(evaluation) or _refusal(evaluation)):
            lines += check_lines(evaluation)
    lines = list(dict.fromkeys(lines))  # a refusal is checked on the category's validation and its valuation
    stopped_by_a_check = _steps_stopped_by_a_check(result)
    steps = [
        _step_reason(event, year_root)
        for event in result.get_step_failure_events()
        if event.step_key not in stopped_by_a_check
    ]
    disk = [reason for reason in steps if reason.startswith("output folder ")]
    if disk:  # a full or unwritable disk fails every step after it: one line says it all
        return Failure([f"error: {disk[0]}"])
    lines += [f"error: {reason}" for reason in dict.fromkeys(steps)]
    if lines:
        return Failure(lines)
    for event in result.all_events:  # the run could not start: its settings refused it, or the year is busy
        for error in _chain(getattr(event.event_specific_data, "error", None)):
            if error.cls_name in _OWN_ERRORS:
                return Failure([f"error: {_message(error)}"], _OWN_ERRORS[error.cls_name])
    return Failure([f"error: the run of {year} failed"])


def refused_a_delivery(result: dg.ExecuteInProcessResult) -> bool:
    """A category's delivery was refused. Its ``delivery_accepted`` check on the validation does not block (the
    rejects of the other categories are still written), so the run may have succeeded: the year has failed all the
    same, and its ledgers were not published."""
    return any(_refusal(evaluation) for evaluation in result.get_asset_check_evaluations())


def _refusal(evaluation: dg.AssetCheckEvaluation) -> bool:
    return evaluation.check_name == "delivery_accepted" and not evaluation.passed


def _interrupted(result: dg.ExecuteInProcessResult) -> bool:
    """Stopped by Ctrl-C or SIGTERM: a step ended by the interruption, or the run ended by it between steps."""
    if any(event.step_failure_data.error_source == ErrorSource.INTERRUPT for event in result.get_step_failure_events()):
        return True
    return any(
        event.job_failure_data.failure_reason == RunFailureReason.UNEXPECTED_TERMINATION
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.RUN_FAILURE
    )


def _steps_stopped_by_a_check(result: dg.ExecuteInProcessResult) -> set[str]:
    """The steps Dagster failed because a check they evaluated failed, blocking, with ERROR severity: the check is
    listed with its figures instead."""
    return {
        event.step_key
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and _stops_its_step(event.asset_check_evaluation_data)
    }


def interrupted_line(year: int, output_dir: Path) -> str:
    """Interrupted: say whether the previous outputs of the year are still one run's set (``verify``)."""
    from assets_pipeline.infra.layout import YearLayout
    from assets_pipeline.publish.manifest import verify_outputs

    layout = YearLayout(Path(output_dir), year)
    if not layout.manifest.exists():
        return f"error: interrupted; no output of {year} was left half-written (none was published before)"
    problems = verify_outputs(layout)
    if not problems:
        return f"error: interrupted; the previous outputs of {year} are intact"
    return (
        f"error: interrupted after replacing {len(problems)} output(s) of {year} (none half-written); "
        f"run the year again (nrledger verify --year {year} lists them)"
    )


def check_lines(evaluation) -> list[str]:
    """A failed check in the user's words: its names, the figure and the limit, the worst counties, the file."""
    metadata = {name: getattr(value, "value", value) for name, value in evaluation.metadata.items()}
    if "problem" in metadata:  # a check whose metadata states the problem in one sentence (a refused delivery …)
        where = (
            f"{evaluation.asset_key.path[0]}/ingested"
            if evaluation.check_name == "delivery_accepted"
            else f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        )
        return [f"error: {where}: {metadata['problem']}"]
    zh, en = CHECK_NAMES.get(evaluation.check_name, ("", evaluation.check_name.replace("_", " ")))
    asset = evaluation.asset_key.to_user_string()
    names = f"{zh} / {en}" if zh else en
    head = f"error: check {asset}:{evaluation.check_name} ({names}) failed"
    figure = _figure(evaluation.check_name, metadata)
    lines = [f"{head}: {figure}" if figure else head]
    worst = metadata.get("worst_counties")
    if worst:
        lines.append("  worst counties: " + "; ".join(_county(c) for c in worst))
    for name, value in evaluation.metadata.items():
        if isinstance(value, dg.PathMetadataValue):
            what = metadata.get(f"{name}_holds")
            lines.append(f"  open {value.value}" + (f" ({what})" if what else ""))
    hint = metadata.get("what_to_do")
    if hint:
        lines.append(f"  {hint}")
    return lines


def _figure(check_name: str, metadata: dict) -> str:
    if check_name == "unpriced_share" and "unpriced_share" in metadata:
        share, limit = float(metadata["unpriced_share"]), float(metadata["threshold"])
        counts = ""
        if "unpriced_rows" in metadata:
            counts = f" ({metadata['unpriced_rows']:,} of {metadata['in_scope_rows']:,})"
        return (
            f"{share:.2%} of the in-scope rows have no price{counts}, above the limit of {limit:.2%} "
            "(--unpriced-threshold)"
        )
    shown = [
        f"{name.replace('_', ' ')} {value}"
        for name, value in metadata.items()
        if isinstance(value, (int, float, str))
        and not isinstance(value, bool)
        and "\n" not in str(value)
        and not name.endswith("_holds")
        and name != "what_to_do"
    ]
    return ", ".join(shown)


def _county(county: dict) -> str:
    name = f"{county.get('county', '')} {county.get('name') or ''}".strip()
    figure = county.get("share")
    counts = f" ({county['unpriced']:,} of {county['rows']:,})" if "unpriced" in county else ""
    return f"{name} {figure:.2%}{counts}" if isinstance(figure, (int, float)) else f"{name} {figure}{counts}"


def _blocks(evaluation: dg.AssetCheckEvaluation) -> bool:
    """A check that stops publication: blocking, failed with ERROR severity."""
    return evaluation.blocking is not False and evaluation.severity == dg.AssetCheckSeverity.ERROR


def _stops_its_step(evaluation: dg.AssetCheckEvaluation) -> bool:
    """Dagster's own rule for failing the step that evaluated a check."""
    return not evaluation.passed and bool(evaluation.blocking) and evaluation.severity == dg.AssetCheckSeverity.ERROR


def _chain(error):
    """An error and the errors it was raised from or during, outermost first."""
    seen = []
    while error is not None and len(seen) < 20:
        seen.append(error)
        error = error.cause or getattr(error, "context", None)
    return seen


def _message(error) -> str:
    """An error's message without its class name (``module.Class: message`` as Python prints it)."""
    text = (error.message or "").strip()
    head, sep, rest = text.partition(": ")
    if sep and head.split(".")[-1] == error.cls_name:
        text = rest
    elif text == error.cls_name or text.endswith("." + error.cls_name):
        text = ""
    return text.strip()


def _step_reason(event, year_root: Path) -> str:
    step = event.step_key.replace("__", "/")
    data = event.step_failure_data
    if data.user_failure_data and data.user_failure_data.description:
        return f"{step}: {data.user_failure_data.description.splitlines()[0]}"
    chain = _chain(data.error)
    own = next((e for e in chain if e.cls_name in _OWN_ERRORS), None)
    reason = _message(own) if own is not None else ""
    everything = " ".join(_message(e) for e in chain)
    cause = output_failure_cause(everything)  # a full or unwritable disk while writing outputs: say so, once
    if cause and (cause.startswith("no space") or str(year_root) in everything):
        return str(OutputFolderError(year_root, cause))
    if own is not None:
        return f"{step}: {reason.splitlines()[0] if reason else 'failed'}"
    innermost = next((_message(e) for e in reversed(chain) if _message(e)), "")
    detail = f": {innermost.splitlines()[0]}" if innermost else ""
    return f"{step} failed unexpectedly{detail}"
