"""Run a GX suite against DuckDB and reduce the result to counts that are safe to log."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from typing import Any

import duckdb
import great_expectations as gx
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig

from checks import gx_sql
from checks.gx_suites import SuiteSpec

# GX would otherwise collect up to 20 sample values per failed expectation: client names and tax ids
# have no business in memory stores or results, so ask for counts only.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict: what it checked and how many rows broke it, never which values."""

    expectation_type: str
    columns: tuple[str, ...]
    description: str
    success: bool
    raised_exception: bool
    unexpected_count: int | None
    element_count: int | None


@dataclass(frozen=True)
class SuiteSummary:
    """A suite's verdict on one batch."""

    suite_name: str
    success: bool
    row_count: int
    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def failed(self) -> tuple[ExpectationOutcome, ...]:
        """The expectations that did not hold."""
        return tuple(o for o in self.outcomes if not o.success)


class _GxSession:
    """One ephemeral GX context per process, with each distinct suite registered once."""

    def __init__(self) -> None:
        self.context = gx.get_context(mode="ephemeral")
        # tqdm bars would flood the Dagster compute log with one line per metric.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.datasource = self.context.data_sources.add_pandas("clientbook")
        self._by_fingerprint: dict[str, gx.ValidationDefinition] = {}
        self._lock = threading.Lock()

    def validation_for(self, spec: SuiteSpec) -> gx.ValidationDefinition:
        """The registered validation for `spec`, registering it on first use."""
        fingerprint = _fingerprint(spec)
        with self._lock:
            if fingerprint not in self._by_fingerprint:
                # GX names must be unique: a second, different suite under the same name gets a suffix.
                name = f"{spec.name}#{len(self._by_fingerprint)}"
                asset = self.datasource.add_dataframe_asset(name)
                batch = asset.add_batch_definition_whole_dataframe("whole")
                expectations = [e.copy(deep=True) for e in spec.expectations]
                suite = self.context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
                validation = gx.ValidationDefinition(name=name, data=batch, suite=suite)
                self._by_fingerprint[fingerprint] = self.context.validation_definitions.add(validation)
            return self._by_fingerprint[fingerprint]


def _fingerprint(spec: SuiteSpec) -> str:
    """Identity of a suite: its name and each expectation's type, arguments and description."""
    parts = [[type(e).__name__, e.configuration.kwargs, e.description] for e in spec.expectations]
    return json.dumps([spec.name, parts], sort_keys=True, default=str)


@functools.cache
def _session() -> _GxSession:
    """The process-wide GX session; creating a context and datasource is slow, so do it once."""
    return _GxSession()


ENGINES = ("sql", "pandas")


def run_suite(conn: duckdb.DuckDBPyConnection, spec: SuiteSpec, engine: str = "sql") -> SuiteSummary:
    """Validate the result of `spec.query` on `conn` against the suite and summarise it.

    `sql` (the default) evaluates the suite's expectations inside DuckDB (checks/gx_sql.py); `pandas` is
    GX's own engine over a pandas copy of the batch, used for a suite with another expectation type and
    by the tests that prove both engines agree.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown GX engine {engine!r}; expected one of {ENGINES}")
    batch = conn.sql(spec.query) if engine == "sql" else None
    if batch is not None and gx_sql.supported(spec.expectations, dict(zip(batch.columns, map(str, batch.types),
                                                                       strict=True))):
        rows, results = gx_sql.evaluate(conn, spec.query, spec.expectations)
        outcomes = [
            _outcome(e.configuration, ok, {"unexpected_count": unexpected, "element_count": elements},
                     {"raised_exception": raised})
            for e, ok, unexpected, elements, raised in results
        ]
        outcomes.sort(key=_order)
        return SuiteSummary(spec.name, all(o.success for o in outcomes), rows, tuple(outcomes))
    frame = conn.sql(spec.query).df()
    result = (
        _session()
        .validation_for(spec)
        .run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
    )
    return summarize(spec.name, result, len(frame))


def _order(o: ExpectationOutcome) -> tuple[bool, str, tuple[str, ...], str]:
    """Failures first, then a stable order: GX returns results in its own order; this keeps metadata diffable."""
    return (o.success, o.expectation_type, o.columns, o.description)


def summarize(suite_name: str, result: ExpectationSuiteValidationResult, row_count: int) -> SuiteSummary:
    """Reduce a GX result to types, columns, verdicts and counts, dropping every observed value."""
    outcomes = [_outcome(r.expectation_config, r.success, r.result, r.exception_info) for r in result.results]
    outcomes.sort(key=_order)
    return SuiteSummary(suite_name, bool(result.success), row_count, tuple(outcomes))


def _outcome(
    config: Any, success: bool | None, result: dict[str, Any], exception_info: dict[str, Any] | None
) -> ExpectationOutcome:
    """One expectation's outcome; a GX exception counts as failed, its text (it may quote data) is dropped."""
    kwargs = config.kwargs
    columns = kwargs.get("column_list") or ([kwargs["column"]] if "column" in kwargs else [])
    return ExpectationOutcome(
        expectation_type=config.type,
        columns=tuple(str(c) for c in columns),
        description=config.description or "",
        success=bool(success),
        raised_exception=_raised(exception_info or {}),
        unexpected_count=_count(result.get("unexpected_count")),
        element_count=_count(result.get("element_count")),
    )


def _raised(exception_info: dict[str, Any]) -> bool:
    """Whether GX hit an exception; it nests the info per metric when a metric failed to resolve."""
    nested = [v for v in exception_info.values() if isinstance(v, dict)]
    return bool(exception_info.get("raised_exception")) or any(_raised(v) for v in nested)


def _count(value: Any) -> int | None:
    """A count as a plain int (GX may hand back numpy integers)."""
    return None if value is None else int(value)
