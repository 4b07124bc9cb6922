"""Evaluate a Great Expectations suite inside DuckDB: no pandas copy of the table.

The suites stay GX expectation objects (checks/gx_suites.py is the contract); this module computes, in SQL
over the suite's query, exactly the counts GX's own engine computes for the expectation types the suites
use, and applies GX's success rules to them (`mostly`, vacuous truth on no rows, nulls ignored by column
map expectations, all-missing rows ignored by compound uniqueness). GX's pandas engine copies the whole
table into memory first: on 30 million invoice lines that was minutes and gigabytes. tests/checks prove
both engines give the same outcome on clean and broken tables. A suite holding any other expectation type,
or a parameter this module does not evaluate, is handed to GX's engine whole (`supported`).

Cost: one aggregate pass over the batch for the row count, nulls, value sets and distinct counts; a
uniqueness expectation whose column repeats adds a grouping pass to count the repeated rows, and each
compound-uniqueness expectation adds two (rows considered, repeated rows).

Identifiers come from the suite (code); values of value sets reach SQL only as parameters.
"""

from __future__ import annotations

import duckdb
import great_expectations.expectations as gxe

from warehouse.db import quote_identifier as q

SQL_TYPES = (
    gxe.ExpectTableRowCountToBeBetween,
    gxe.ExpectTableColumnsToMatchSet,
    gxe.ExpectColumnValuesToNotBeNull,
    gxe.ExpectColumnValuesToBeInSet,
    gxe.ExpectColumnValuesToBeUnique,
    gxe.ExpectCompoundColumnsToBeUnique,
)


def supported(expectations: tuple[gxe.Expectation, ...], column_types: dict[str, str] | None = None) -> bool:
    """Whether every expectation is of a type, and has only the parameters, this module evaluates exactly as
    GX does. Anything else goes to GX's own engine: a row condition, a suite parameter, strict bounds, a value
    set not all of one kind (text, whole numbers, booleans) or of another kind than its column in
    `column_types`."""
    return all(type(e) in SQL_TYPES and _plain(e, column_types) for e in expectations)


INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT"}


def _plain(e: gxe.Expectation, column_types: dict[str, str] | None) -> bool:
    if getattr(e, "row_condition", None) or getattr(e, "ignore_row_if", "all_values_are_missing") \
            != "all_values_are_missing":
        return False
    mostly = getattr(e, "mostly", None)
    if mostly is not None and not isinstance(mostly, int | float):
        return False
    if isinstance(e, gxe.ExpectTableRowCountToBeBetween):
        bounds = (e.min_value, e.max_value)
        return all(b is None or (isinstance(b, int) and not isinstance(b, bool)) for b in bounds) and not (
            getattr(e, "strict_min", False) or getattr(e, "strict_max", False))
    if isinstance(e, gxe.ExpectTableColumnsToMatchSet):
        return isinstance(e.column_set, list | tuple | set) and all(isinstance(c, str) for c in e.column_set)
    if isinstance(e, gxe.ExpectColumnValuesToBeInSet):
        values = e.value_set
        if not isinstance(values, list | tuple | set):
            return False
        # one kind of value, compared with a column of that kind: DuckDB would cast across kinds, GX does not
        kinds = {"VARCHAR" if isinstance(v, str) else "BOOLEAN" if isinstance(v, bool)
                 else "INTEGER" if isinstance(v, int) else "other" for v in values}
        if len(kinds) != 1 or kinds == {"other"}:
            return False
        kind = (column_types or {}).get(e.column)
        return kind is None or kinds == {"INTEGER" if kind in INTEGER_TYPES else kind}
    return True


Outcome = tuple[gxe.Expectation, bool, int | None, int | None, bool]


def evaluate(conn: duckdb.DuckDBPyConnection, query: str, expectations: tuple[gxe.Expectation, ...]
             ) -> tuple[int, list[Outcome]]:
    """Row count and, per expectation, (expectation, success, unexpected_count, element_count, raised).

    An expectation on a column the batch lacks fails as "raised", as GX's engine reports it.
    """
    columns = conn.sql(query).columns
    batch = f"({query}) as batch"
    aggregates, params = ["count(*)"], []
    slots: dict[int, int] = {}  # expectation index -> position of its first aggregate
    missing = {i for i, e in enumerate(expectations) if not set(_columns(e)) <= set(columns)}
    for i, e in enumerate(expectations):
        if i in missing:
            continue
        if isinstance(e, gxe.ExpectColumnValuesToNotBeNull):
            slots[i] = len(aggregates)
            aggregates.append(f"count(*) filter (where {q(e.column)} is null)")
        elif isinstance(e, gxe.ExpectColumnValuesToBeInSet):
            slots[i] = len(aggregates)
            params.append(list(e.value_set))
            aggregates += [f"count(*) filter (where {q(e.column)} is not null and not list_contains(${len(params)}, "
                           f"{q(e.column)}))", f"count({q(e.column)})"]
        elif isinstance(e, gxe.ExpectColumnValuesToBeUnique):
            slots[i] = len(aggregates)
            aggregates += [f"count({q(e.column)})", f"count(distinct {q(e.column)})"]
    totals = conn.execute(f"select {', '.join(aggregates)} from {batch}", params).fetchone()
    rows = int(totals[0])
    outcomes = []
    for i, e in enumerate(expectations):
        at = slots.get(i)
        if i in missing:
            outcomes.append((e, False, None, None, True))
        elif isinstance(e, gxe.ExpectTableRowCountToBeBetween):
            ok = (e.min_value is None or rows >= e.min_value) and (e.max_value is None or rows <= e.max_value)
            outcomes.append((e, ok, None, None, False))
        elif isinstance(e, gxe.ExpectTableColumnsToMatchSet):
            expected, actual = set(e.column_set or ()), set(columns)
            ok = actual == expected if e.exact_match else expected <= actual
            outcomes.append((e, ok, None, None, False))
        elif isinstance(e, gxe.ExpectColumnValuesToNotBeNull):
            nulls = int(totals[at])
            outcomes.append((e, _mostly(rows, nulls, e.mostly), nulls, rows, False))
        elif isinstance(e, gxe.ExpectColumnValuesToBeInSet):
            unexpected, nonnull = int(totals[at]), int(totals[at + 1])
            outcomes.append((e, _mostly(nonnull, unexpected, e.mostly), unexpected, rows, False))
        elif isinstance(e, gxe.ExpectColumnValuesToBeUnique):
            nonnull, distinct = int(totals[at]), int(totals[at + 1])
            # GX counts every row of a repeated value (pandas `duplicated(keep=False)`), so count them only
            # when some value repeats: the distinct count alone cannot say how many rows share them
            unexpected = 0 if nonnull == distinct else _repeated_rows(conn, batch, [e.column], any_missing=True)
            outcomes.append((e, _mostly(nonnull, unexpected, e.mostly), unexpected, rows, False))
        elif isinstance(e, gxe.ExpectCompoundColumnsToBeUnique):
            considered, unexpected = _compound(conn, batch, list(e.column_list))
            outcomes.append((e, _mostly(considered, unexpected, e.mostly), unexpected, rows, False))
        else:  # pragma: no cover - `supported` keeps other types away
            raise TypeError(f"{type(e).__name__} is not evaluated in SQL")
    return rows, outcomes


def _mostly(considered: int, unexpected: int, mostly: float | None) -> bool:
    """GX's rule: vacuously true on no rows considered, else the share of expected rows is at least `mostly`."""
    if considered == 0:
        return True
    return (considered - unexpected) / considered >= (1.0 if mostly is None else mostly)


def _repeated_rows(conn: duckdb.DuckDBPyConnection, batch: str, columns: list[str], *, any_missing: bool) -> int:
    """Rows whose value (or combination) occurs more than once, skipping rows GX skips."""
    names = ", ".join(q(c) for c in columns)
    missing = " or ".join(f"{q(c)} is null" for c in columns) if any_missing else \
        " and ".join(f"{q(c)} is null" for c in columns)
    sql = (f"select coalesce(sum(n), 0) from (select count(*) as n from {batch} where not ({missing}) "
           f"group by {names} having count(*) > 1)")
    return int(conn.execute(sql).fetchone()[0])


def _compound(conn: duckdb.DuckDBPyConnection, batch: str, columns: list[str]) -> tuple[int, int]:
    """Rows considered (not all columns missing) and rows whose combination repeats."""
    all_missing = " and ".join(f"{q(c)} is null" for c in columns)
    considered = int(conn.execute(f"select count(*) from {batch} where not ({all_missing})").fetchone()[0])
    return considered, _repeated_rows(conn, batch, columns, any_missing=False)


def _columns(e: gxe.Expectation) -> list[str]:
    """The columns an expectation reads (none for table-level ones)."""
    if isinstance(e, gxe.ExpectCompoundColumnsToBeUnique):
        return list(e.column_list)
    column = getattr(e, "column", None)
    return [column] if column else []
