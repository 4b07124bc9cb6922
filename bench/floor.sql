-- The performance floor (bench/floor.py): the pipeline's core work hand-written for ONE DuckDB
-- session, without Dagster, Great Expectations, Polars or Python between the steps.
--
-- What it does, in the pipeline's order and with its stated rules:
--   load      every extract read as text (`all_varchar`), every file of an entity through one glob;
--   type      strict casts to the contract types (warehouse/contract.py, warehouse/notation.py for
--             the canonical profile) and every row rule of warehouse/rules.py, as a list of problems;
--   stage     the latest version of each key, without problems (warehouse/staging.py);
--   quarantine one row per problem of the rows not loaded, with its reason code;
--   marts and metrics: the client crosswalk, invoice lines in EUR, revenue, MRR, the bridge,
--             churn and NPS (warehouse/sql/marts, warehouse/sql/metrics), reporting currency EUR;
--   validate  one pass over the staged tables counting the rows that break each suite rule
--             (stands in for the Great Expectations suites of checks/gx_suites.py).
--
-- Variables the runner sets (`set variable name = ?`, so no value is ever part of this text):
--   landing   the landing folder, holding <source>/<entity>*.csv or *.parquet
--   fx_file   CSV of FX rates `rate_date,currency,units_per_eur` (the bundled ECB history)
--   as_of     the as-of date (DATE)
--
-- Layout for the runner: the file is split at `-- stage: <name> [tags]` lines; each stage is one
-- statement (`setup.*` stages hold a few short ones) and is timed on its own. Tags pick stages:
-- `csv` / `parquet` (the input format of the run) and `full` / `mrr` (the whole floor, or only the
-- core MRR step: invoice lines + FX -> bridge, the like-for-like peer of bench/pandas_mrr.py).
-- A stage without tags of a kind runs in every run of that kind.
--
-- Deviations from the pipeline are marked DEVIATION below; bench/floor.py's docstring lists them.

-- stage: setup.settings
-- the month rules of assets/settings.py: the last complete month on the as-of date
set variable reference_month = (date_trunc('month', getvariable('as_of') + 1) - interval 1 month)::date;
-- the defaults of ClientbookSettings and of the canonical source profile
set variable fx_max_age_days = 7;
set variable max_quarantined_share = 0.10;
-- EU VAT prefixes (warehouse/identity.py): the member states' ISO codes, Greece as EL
set variable eu_vat_prefixes = [
    'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU', 'IE', 'IT', 'LT',
    'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK'
];
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists metrics;

-- stage: setup.macros
-- Canonical notation (warehouse/notation.py with the default profile): trimmed text, empty = missing;
-- integers and decimals must match exactly (`1.5` is no integer, `1.005` no cent amount: a bare
-- try_cast would round them), ISO dates, ISO timestamps in UTC unless they carry an offset.
-- `txt` cleans a raw value once; the casts take cleaned text.
create or replace temp macro txt(value) as nullif(trim(value), '');
create or replace temp macro as_integer(text) as (
    case when regexp_full_match(text, '[+-]?[0-9]+') then try_cast(text as integer) end
);
create or replace temp macro as_money(text) as (
    case when regexp_full_match(text, '[+-]?[0-9]*([.][0-9]{0,2}0*)?') then try_cast(text as decimal(18, 2)) end
);
create or replace temp macro as_decimal_4(text) as (
    case when regexp_full_match(text, '[+-]?[0-9]*([.][0-9]{0,4}0*)?') then try_cast(text as decimal(18, 4)) end
);
create or replace temp macro as_decimal_6(text) as (
    case when regexp_full_match(text, '[+-]?[0-9]*([.][0-9]{0,6}0*)?') then try_cast(text as decimal(18, 6)) end
);
create or replace temp macro as_date(text) as try_strptime(text, '%Y-%m-%d')::date;
-- the session's TimeZone is UTC: text without an offset is UTC wall-clock time
create or replace temp macro as_timestamp(text) as try_cast(text as timestamptz) at time zone 'UTC';
-- one problem of a row as `reason_code:column`; a row's problems are joined by spaces (null: none)
create or replace temp macro problem(is_broken, reason_code, column_name) as (
    case when is_broken then reason_code || ':' || column_name end
);
-- the first date written in a file name (assets/raw/landing.py): the later extract of a key wins
create or replace temp macro extract_date(file_name) as try_strptime(regexp_replace(regexp_extract(
    parse_filename(file_name), '(^|[^0-9])([0-9]{4}[-_.]?[0-9]{2}[-_.]?[0-9]{2})([^0-9]|$)', 2
), '[-_.]', '', 'g'), '%Y%m%d')::date;
-- warehouse/db.py's fx_convert with EUR as the reporting currency: whole cents times a millionth
-- rate, rounded half away from zero in integer arithmetic (EUR lines need no rate). The same
-- integers in BIGINT while they cannot overflow: with |amount| < 10^10 (cents < 10^12) and any
-- DECIMAL(18, 6) rate (< 10^12), 2 x cents x 10^6 + rate x 10^6 < 3 x 10^18 < 2^63; HUGEINT
-- beyond. The result is identical, the BIGINT path about ten times faster. Rates are widened before
-- scaling, as in fx_convert: a million units or more (TRL) overflows DECIMAL(18, 6) times 10^6.
create or replace temp macro fx_to_eur_hugeint(amount, currency, units_per_eur) as ((
    sign(amount) * (
        (
            2 * (abs(amount)::decimal(38, 2) * 100)::hugeint * 1000000::hugeint
            + (case when currency = 'EUR' then 1 else units_per_eur end::decimal(38, 6) * 1000000)::hugeint
        ) // (2 * (case when currency = 'EUR' then 1 else units_per_eur end::decimal(38, 6) * 1000000)::hugeint)
    )
)::decimal(38, 0) * 0.01)::decimal(18, 2);
create or replace temp macro fx_to_eur(amount, currency, units_per_eur) as case
    when abs(amount) < 10000000000
        then (sign(amount) * (
            (
                2 * (abs(amount) * 100)::bigint * 1000000
                + (case when currency = 'EUR' then 1 else units_per_eur end::decimal(38, 6) * 1000000)::bigint
            ) // (2 * (case when currency = 'EUR' then 1 else units_per_eur end::decimal(38, 6) * 1000000)::bigint)
        ))::decimal(18, 0) * 0.01
    else fx_to_eur_hugeint(amount, currency, units_per_eur)
end::decimal(18, 2);

-- stage: setup.ordered_reads [full]
-- Dedupe needs each row's line within its file (the last line of a file wins a tie), and CSV has
-- no file_row_number: the loads keep file order, so a raw table's rowid is its read order.
set preserve_insertion_order = true;


-- ============================================================================================
-- Load: every extract as text, every file of an entity through one glob
-- ============================================================================================

-- stage: load.fx_rates [full]
create or replace temp table raw_fx__rates as
select
    * exclude (filename),
    'fx/' || parse_filename(filename) as _source_file
from read_csv(
    getvariable('fx_file'),
    all_varchar = true, header = true, delim = ',', quote = '"', escape = '"', filename = true
);

-- stage: load.customers [full, csv]
create or replace temp table raw_crm__customers as
select
    * exclude (filename),
    'crm/' || parse_filename(filename) as _source_file
from read_csv(
    getvariable('landing') || '/crm/customers*.csv',
    all_varchar = true, header = true, delim = ',', quote = '"', escape = '"', union_by_name = true, filename = true
);

-- stage: load.customers [full, parquet]
create or replace temp table raw_crm__customers as
select
    columns(* exclude (filename))::varchar,
    'crm/' || parse_filename(filename) as _source_file
from read_parquet(getvariable('landing') || '/crm/customers*.parquet', union_by_name = true, filename = true);

-- stage: load.interactions [full, csv]
create or replace temp table raw_crm__interactions as
select
    * exclude (filename),
    'crm/' || parse_filename(filename) as _source_file
from read_csv(
    getvariable('landing') || '/crm/interactions*.csv',
    all_varchar = true, header = true, delim = ',', quote = '"', escape = '"', union_by_name = true, filename = true
);

-- stage: load.interactions [full, parquet]
create or replace temp table raw_crm__interactions as
select
    columns(* exclude (filename))::varchar,
    'crm/' || parse_filename(filename) as _source_file
from read_parquet(getvariable('landing') || '/crm/interactions*.parquet', union_by_name = true, filename = true);

-- stage: load.invoice_lines [full, csv]
create or replace temp table raw_billing__invoice_lines as
select
    * exclude (filename),
    'billing/' || parse_filename(filename) as _source_file
from read_csv(
    getvariable('landing') || '/billing/invoice_lines*.csv',
    all_varchar = true, header = true, delim = ',', quote = '"', escape = '"', union_by_name = true, filename = true
);

-- stage: load.invoice_lines [full, parquet]
create or replace temp table raw_billing__invoice_lines as
select
    columns(* exclude (filename))::varchar,
    'billing/' || parse_filename(filename) as _source_file
from read_parquet(getvariable('landing') || '/billing/invoice_lines*.parquet', union_by_name = true, filename = true);

-- stage: load.costs [full, csv]
create or replace temp table raw_billing__costs as
select
    * exclude (filename),
    'billing/' || parse_filename(filename) as _source_file
from read_csv(
    getvariable('landing') || '/billing/costs*.csv',
    all_varchar = true, header = true, delim = ',', quote = '"', escape = '"', union_by_name = true, filename = true
);

-- stage: load.costs [full, parquet]
create or replace temp table raw_billing__costs as
select
    columns(* exclude (filename))::varchar,
    'billing/' || parse_filename(filename) as _source_file
from read_parquet(getvariable('landing') || '/billing/costs*.parquet', union_by_name = true, filename = true);

-- stage: load.responses [full, csv]
create or replace temp table raw_survey__responses as
select
    * exclude (filename),
    'survey/' || parse_filename(filename) as _source_file
from read_csv(
    getvariable('landing') || '/survey/responses*.csv',
    all_varchar = true, header = true, delim = ',', quote = '"', escape = '"', union_by_name = true, filename = true
);

-- stage: load.responses [full, parquet]
create or replace temp table raw_survey__responses as
select
    columns(* exclude (filename))::varchar,
    'survey/' || parse_filename(filename) as _source_file
from read_parquet(getvariable('landing') || '/survey/responses*.parquet', union_by_name = true, filename = true);

-- stage: setup.unordered [full]
set preserve_insertion_order = false;


-- ============================================================================================
-- Type, check, dedupe. Per entity: `type` casts every row and lists its problems (missing
-- required value, value that does not parse, value not accepted, broken row rule); its file is
-- held back when more than max_quarantined_share of its rows have a problem; among the other
-- files the latest version of each key wins: the file with the latest date in its name (files
-- without one are the oldest), then the file name, then the last line; a key that does not parse
-- is never a duplicate. `stage` keeps the latest versions without problems.
-- Entities that refer to others come after them: FX rates and customers first.
-- ============================================================================================

-- stage: type.fx_rates [full]
create or replace temp table typed_fx__rates as
with

texts as (
    -- every value trimmed, empty = missing
    select
        rowid as _row,
        _source_file,
        txt(columns(* exclude (_source_file)))
    from raw_fx__rates
),

typed as (
    select
        _row,
        _source_file,
        as_date(rate_date) as rate_date,
        upper(currency) as currency,
        as_decimal_6(units_per_eur) as units_per_eur,
        rate_date as _text_rate_date,
        units_per_eur as _text_units_per_eur
    from texts
),

checked as materialized (
    select
        _row,
        _source_file,
        rate_date,
        currency,
        units_per_eur,
        nullif(concat_ws(
            ' ',
            problem(_text_rate_date is null, 'missing_required', 'rate_date'),
            problem(_text_rate_date is not null and rate_date is null, 'invalid_date', 'rate_date'),
            problem(currency is null, 'missing_required', 'currency'),
            problem(_text_units_per_eur is null, 'missing_required', 'units_per_eur'),
            problem(_text_units_per_eur is not null and units_per_eur is null, 'invalid_decimal', 'units_per_eur'),
            problem(not regexp_full_match(currency, '[A-Z]{3}'), 'invalid_currency', 'currency'),
            problem(units_per_eur <= 0, 'invalid_rate', 'units_per_eur'),
            problem(currency = 'EUR' and units_per_eur != 1, 'eur_rate_not_one', 'units_per_eur')
        ), '') as _problems
    from typed
),

files as (
    select
        _source_file,
        min(_row) as first_row,
        extract_date(_source_file) as extract_date,
        count(*) filter (where _problems is not null) > getvariable('max_quarantined_share') * count(*)
            as is_over_threshold
    from checked
    group by _source_file
)

select
    checked.*,
    checked._row - files.first_row + 2 as _line_number,
    files.is_over_threshold as _file_over_threshold,
    not files.is_over_threshold and row_number() over (
        partition by
            files.is_over_threshold,
            coalesce(checked.rate_date::varchar, '#' || checked._row),
            coalesce(checked.currency, '#' || checked._row)
        order by files.extract_date desc nulls last, checked._source_file desc, checked._row desc
    ) = 1 as _is_latest
from checked
inner join files on checked._source_file = files._source_file;

-- stage: stage.fx_rates [full]
create or replace table staging.stg_fx__rates as
select
    * exclude (_row, _source_file, _line_number, _problems, _file_over_threshold, _is_latest),
    _source_file,
    _line_number
from typed_fx__rates
where _is_latest and _problems is null;

-- stage: type.customers [full]
-- DEVIATION: the `invalid_tax_id` rule is left out: it checks tax ids with python-stdnum (check
-- digits per country), which has no SQL form here. A client with a malformed tax id is staged.
create or replace temp table typed_crm__customers as
with

texts as (
    -- every value trimmed, empty = missing
    select
        rowid as _row,
        _source_file,
        txt(columns(* exclude (_source_file)))
    from raw_crm__customers
),

typed as (
    select
        _row,
        _source_file,
        customer_id,
        name,
        tax_id,
        upper(country) as country,
        city,
        industry,
        size_band,
        as_integer(employees) as employees,
        segment,
        as_date(created_date) as created_date,
        referred_by_customer_id,
        account_owner,
        as_integer(birth_year) as birth_year,
        lower(gender) as gender,
        employees as _text_employees,
        created_date as _text_created_date,
        birth_year as _text_birth_year
    from texts
),

checked as materialized (
    select
        * exclude (_text_employees, _text_created_date, _text_birth_year),
        nullif(concat_ws(
            ' ',
            problem(customer_id is null, 'missing_required', 'customer_id'),
            problem(name is null, 'missing_required', 'name'),
            problem(country is null, 'missing_required', 'country'),
            problem(_text_employees is not null and employees is null, 'invalid_integer', 'employees'),
            problem(_text_created_date is null, 'missing_required', 'created_date'),
            problem(_text_created_date is not null and created_date is null, 'invalid_date', 'created_date'),
            problem(_text_birth_year is not null and birth_year is null, 'invalid_integer', 'birth_year'),
            problem(gender not in ('f', 'm', 'x'), 'not_accepted', 'gender'),
            problem(not regexp_full_match(country, '[A-Z]{2}'), 'invalid_country', 'country'),
            problem(employees < 0, 'out_of_range', 'employees'),
            problem(birth_year < 1900 or birth_year > year(created_date), 'out_of_range', 'birth_year')
        ), '') as _problems
    from typed
),

files as (
    select
        _source_file,
        min(_row) as first_row,
        extract_date(_source_file) as extract_date,
        count(*) filter (where _problems is not null) > getvariable('max_quarantined_share') * count(*)
            as is_over_threshold
    from checked
    group by _source_file
)

select
    checked.*,
    checked._row - files.first_row + 2 as _line_number,
    files.is_over_threshold as _file_over_threshold,
    not files.is_over_threshold and row_number() over (
        partition by files.is_over_threshold, coalesce(checked.customer_id, '#' || checked._row)
        order by files.extract_date desc nulls last, checked._source_file desc, checked._row desc
    ) = 1 as _is_latest
from checked
inner join files on checked._source_file = files._source_file;

-- stage: stage.customers [full]
create or replace table staging.stg_crm__customers as
select
    * exclude (_row, _source_file, _line_number, _problems, _file_over_threshold, _is_latest),
    _source_file,
    _line_number
from typed_crm__customers
where _is_latest and _problems is null;

-- stage: type.interactions [full]
create or replace temp table typed_crm__interactions as
with

texts as (
    -- every value trimmed, empty = missing
    select
        rowid as _row,
        _source_file,
        txt(columns(* exclude (_source_file)))
    from raw_crm__interactions
),

typed as (
    select
        _row,
        _source_file,
        interaction_id,
        customer_id,
        lower(interaction_type) as interaction_type,
        as_timestamp(occurred_at) as occurred_at,
        occurred_at as _text_occurred_at
    from texts
),

checked as materialized (
    select
        * exclude (_text_occurred_at),
        nullif(concat_ws(
            ' ',
            problem(interaction_id is null, 'missing_required', 'interaction_id'),
            problem(customer_id is null, 'missing_required', 'customer_id'),
            problem(interaction_type is null, 'missing_required', 'interaction_type'),
            problem(interaction_type not in ('meeting', 'call', 'email', 'other'), 'not_accepted', 'interaction_type'),
            problem(_text_occurred_at is null, 'missing_required', 'occurred_at'),
            problem(_text_occurred_at is not null and occurred_at is null, 'invalid_timestamp', 'occurred_at'),
            problem(
                customer_id not in (select known.customer_id from staging.stg_crm__customers as known),
                'unknown_customer', 'customer_id'
            )
        ), '') as _problems
    from typed
),

files as (
    select
        _source_file,
        min(_row) as first_row,
        extract_date(_source_file) as extract_date,
        count(*) filter (where _problems is not null) > getvariable('max_quarantined_share') * count(*)
            as is_over_threshold
    from checked
    group by _source_file
)

select
    checked.*,
    checked._row - files.first_row + 2 as _line_number,
    files.is_over_threshold as _file_over_threshold,
    not files.is_over_threshold and row_number() over (
        partition by files.is_over_threshold, coalesce(checked.interaction_id, '#' || checked._row)
        order by files.extract_date desc nulls last, checked._source_file desc, checked._row desc
    ) = 1 as _is_latest
from checked
inner join files on checked._source_file = files._source_file;

-- stage: stage.interactions [full]
create or replace table staging.stg_crm__interactions as
select
    * exclude (_row, _source_file, _line_number, _problems, _file_over_threshold, _is_latest),
    _source_file,
    _line_number
from typed_crm__interactions
where _is_latest and _problems is null;

-- stage: type.invoice_lines [full]
-- The FX rule (warehouse/rules.py, no_fx_rate) asks whether a rate was published within
-- fx_max_age_days before the issue date: true exactly when the latest rate on or before that day
-- (an asof join, as the mart looks rates up) is that recent.
create or replace temp table typed_billing__invoice_lines as
with

texts as (
    -- every value trimmed, empty = missing
    select
        rowid as _row,
        _source_file,
        txt(columns(* exclude (_source_file)))
    from raw_billing__invoice_lines
),

typed as (
    select
        _row,
        _source_file,
        invoice_id,
        as_integer(line_number) as line_number,
        customer_id,
        as_date(issue_date) as issue_date,
        as_date(service_start_date) as service_start_date,
        as_date(service_end_date) as service_end_date,
        product,
        as_decimal_4(quantity) as quantity,
        as_decimal_4(unit_price) as unit_price,
        as_money(discount) as discount,
        as_money(net_amount) as net_amount,
        upper(currency) as currency,
        lower(billing_interval) as billing_interval,
        lower(document_type) as document_type,
        corrected_invoice_id,
        line_number as _text_line_number,
        issue_date as _text_issue_date,
        service_start_date as _text_service_start_date,
        service_end_date as _text_service_end_date,
        quantity as _text_quantity,
        unit_price as _text_unit_price,
        discount as _text_discount,
        net_amount as _text_net_amount
    from texts
),

with_rate as (
    -- the latest rate of the row's currency on or before its issue_date
    select
        typed.*,
        rates.rate_date as latest_rate_date
    from typed
    asof left join staging.stg_fx__rates as rates
        on typed.currency = rates.currency and typed.issue_date >= rates.rate_date
),

checked as materialized (
    select
        * exclude (
            _text_line_number, _text_issue_date, _text_service_start_date, _text_service_end_date,
            _text_quantity, _text_unit_price, _text_discount, _text_net_amount, latest_rate_date
        ),
        nullif(concat_ws(
            ' ',
            problem(invoice_id is null, 'missing_required', 'invoice_id'),
            problem(_text_line_number is null, 'missing_required', 'line_number'),
            problem(_text_line_number is not null and line_number is null, 'invalid_integer', 'line_number'),
            problem(customer_id is null, 'missing_required', 'customer_id'),
            problem(_text_issue_date is null, 'missing_required', 'issue_date'),
            problem(_text_issue_date is not null and issue_date is null, 'invalid_date', 'issue_date'),
            problem(
                _text_service_start_date is not null and service_start_date is null,
                'invalid_date', 'service_start_date'
            ),
            problem(
                _text_service_end_date is not null and service_end_date is null, 'invalid_date', 'service_end_date'
            ),
            problem(_text_quantity is not null and quantity is null, 'invalid_decimal', 'quantity'),
            problem(_text_unit_price is not null and unit_price is null, 'invalid_decimal', 'unit_price'),
            problem(_text_discount is not null and discount is null, 'invalid_decimal', 'discount'),
            problem(_text_net_amount is null, 'missing_required', 'net_amount'),
            problem(_text_net_amount is not null and net_amount is null, 'invalid_decimal', 'net_amount'),
            problem(currency is null, 'missing_required', 'currency'),
            problem(billing_interval is null, 'missing_required', 'billing_interval'),
            problem(
                billing_interval not in ('month', 'quarter', 'year', 'one_off'), 'not_accepted', 'billing_interval'
            ),
            problem(document_type is null, 'missing_required', 'document_type'),
            problem(document_type not in ('invoice', 'credit_note'), 'not_accepted', 'document_type'),
            problem(
                customer_id not in (select known.customer_id from staging.stg_crm__customers as known),
                'unknown_customer', 'customer_id'
            ),
            problem(not regexp_full_match(currency, '[A-Z]{3}'), 'invalid_currency', 'currency'),
            problem(
                currency != 'EUR' and regexp_full_match(currency, '[A-Z]{3}')
                and coalesce(latest_rate_date < issue_date - getvariable('fx_max_age_days'), true),
                'no_fx_rate', 'currency'
            ),
            problem(document_type = 'credit_note' and net_amount > 0, 'credit_note_positive', 'net_amount'),
            problem(service_end_date < service_start_date, 'period_reversed', 'service_end_date'),
            problem(line_number < 1, 'out_of_range', 'line_number')
        ), '') as _problems
    from with_rate
),

files as (
    select
        _source_file,
        min(_row) as first_row,
        extract_date(_source_file) as extract_date,
        count(*) filter (where _problems is not null) > getvariable('max_quarantined_share') * count(*)
            as is_over_threshold
    from checked
    group by _source_file
)

select
    checked.*,
    checked._row - files.first_row + 2 as _line_number,
    files.is_over_threshold as _file_over_threshold,
    not files.is_over_threshold and row_number() over (
        partition by
            files.is_over_threshold,
            coalesce(checked.invoice_id, '#' || checked._row),
            coalesce(checked.line_number::varchar, '#' || checked._row)
        order by files.extract_date desc nulls last, checked._source_file desc, checked._row desc
    ) = 1 as _is_latest
from checked
inner join files on checked._source_file = files._source_file;

-- stage: stage.invoice_lines [full]
create or replace table staging.stg_billing__invoice_lines as
select
    * exclude (_row, _source_file, _line_number, _problems, _file_over_threshold, _is_latest),
    _source_file,
    _line_number
from typed_billing__invoice_lines
where _is_latest and _problems is null;

-- stage: type.costs [full]
create or replace temp table typed_billing__costs as
with

texts as (
    -- every value trimmed, empty = missing
    select
        rowid as _row,
        _source_file,
        txt(columns(* exclude (_source_file)))
    from raw_billing__costs
),

typed as (
    select
        _row,
        _source_file,
        customer_id,
        as_date(cost_month) as cost_month,
        as_money(amount) as amount,
        upper(currency) as currency,
        cost_month as _text_cost_month,
        amount as _text_amount
    from texts
),

with_rate as (
    -- the latest rate of the row's currency on or before its cost_month
    select
        typed.*,
        rates.rate_date as latest_rate_date
    from typed
    asof left join staging.stg_fx__rates as rates
        on typed.currency = rates.currency and typed.cost_month >= rates.rate_date
),

checked as materialized (
    select
        * exclude (_text_cost_month, _text_amount, latest_rate_date),
        nullif(concat_ws(
            ' ',
            problem(customer_id is null, 'missing_required', 'customer_id'),
            problem(_text_cost_month is null, 'missing_required', 'cost_month'),
            problem(_text_cost_month is not null and cost_month is null, 'invalid_date', 'cost_month'),
            problem(_text_amount is null, 'missing_required', 'amount'),
            problem(_text_amount is not null and amount is null, 'invalid_decimal', 'amount'),
            problem(currency is null, 'missing_required', 'currency'),
            problem(
                customer_id not in (select known.customer_id from staging.stg_crm__customers as known),
                'unknown_customer', 'customer_id'
            ),
            problem(not regexp_full_match(currency, '[A-Z]{3}'), 'invalid_currency', 'currency'),
            problem(
                currency != 'EUR' and regexp_full_match(currency, '[A-Z]{3}')
                and coalesce(latest_rate_date < cost_month - getvariable('fx_max_age_days'), true),
                'no_fx_rate', 'currency'
            ),
            problem(amount < 0, 'out_of_range', 'amount'),
            problem(day(cost_month) != 1, 'not_month_start', 'cost_month')
        ), '') as _problems
    from with_rate
),

files as (
    select
        _source_file,
        min(_row) as first_row,
        extract_date(_source_file) as extract_date,
        count(*) filter (where _problems is not null) > getvariable('max_quarantined_share') * count(*)
            as is_over_threshold
    from checked
    group by _source_file
)

select
    checked.*,
    checked._row - files.first_row + 2 as _line_number,
    files.is_over_threshold as _file_over_threshold,
    not files.is_over_threshold and row_number() over (
        partition by
            files.is_over_threshold,
            coalesce(checked.customer_id, '#' || checked._row),
            coalesce(checked.cost_month::varchar, '#' || checked._row)
        order by files.extract_date desc nulls last, checked._source_file desc, checked._row desc
    ) = 1 as _is_latest
from checked
inner join files on checked._source_file = files._source_file;

-- stage: stage.costs [full]
create or replace table staging.stg_billing__costs as
select
    * exclude (_row, _source_file, _line_number, _problems, _file_over_threshold, _is_latest),
    _source_file,
    _line_number
from typed_billing__costs
where _is_latest and _problems is null;

-- stage: type.responses [full]
create or replace temp table typed_survey__responses as
with

texts as (
    -- every value trimmed, empty = missing
    select
        rowid as _row,
        _source_file,
        txt(columns(* exclude (_source_file)))
    from raw_survey__responses
),

typed as (
    select
        _row,
        _source_file,
        response_id,
        customer_id,
        lower(survey_type) as survey_type,
        as_integer(score) as score,
        as_integer(scale_min) as scale_min,
        as_integer(scale_max) as scale_max,
        as_timestamp(submitted_at) as submitted_at,
        comment,
        score as _text_score,
        scale_min as _text_scale_min,
        scale_max as _text_scale_max,
        submitted_at as _text_submitted_at
    from texts
),

checked as materialized (
    select
        * exclude (_text_score, _text_scale_min, _text_scale_max, _text_submitted_at),
        nullif(concat_ws(
            ' ',
            problem(response_id is null, 'missing_required', 'response_id'),
            problem(customer_id is null, 'missing_required', 'customer_id'),
            problem(survey_type is null, 'missing_required', 'survey_type'),
            problem(survey_type not in ('nps', 'csat', 'ces'), 'not_accepted', 'survey_type'),
            problem(_text_score is null, 'missing_required', 'score'),
            problem(_text_score is not null and score is null, 'invalid_integer', 'score'),
            problem(_text_scale_min is null, 'missing_required', 'scale_min'),
            problem(_text_scale_min is not null and scale_min is null, 'invalid_integer', 'scale_min'),
            problem(_text_scale_max is null, 'missing_required', 'scale_max'),
            problem(_text_scale_max is not null and scale_max is null, 'invalid_integer', 'scale_max'),
            problem(_text_submitted_at is null, 'missing_required', 'submitted_at'),
            problem(_text_submitted_at is not null and submitted_at is null, 'invalid_timestamp', 'submitted_at'),
            problem(
                customer_id not in (select known.customer_id from staging.stg_crm__customers as known),
                'unknown_customer', 'customer_id'
            ),
            problem(scale_max <= scale_min, 'invalid_scale', 'scale_max'),
            problem(survey_type = 'nps' and (scale_min != 0 or scale_max != 10), 'nps_scale', 'scale_max'),
            problem(score < scale_min or score > scale_max, 'score_out_of_scale', 'score')
        ), '') as _problems
    from typed
),

files as (
    select
        _source_file,
        min(_row) as first_row,
        extract_date(_source_file) as extract_date,
        count(*) filter (where _problems is not null) > getvariable('max_quarantined_share') * count(*)
            as is_over_threshold
    from checked
    group by _source_file
)

select
    checked.*,
    checked._row - files.first_row + 2 as _line_number,
    files.is_over_threshold as _file_over_threshold,
    not files.is_over_threshold and row_number() over (
        partition by files.is_over_threshold, coalesce(checked.response_id, '#' || checked._row)
        order by files.extract_date desc nulls last, checked._source_file desc, checked._row desc
    ) = 1 as _is_latest
from checked
inner join files on checked._source_file = files._source_file;

-- stage: stage.responses [full]
create or replace table staging.stg_survey__responses as
select
    * exclude (_row, _source_file, _line_number, _problems, _file_over_threshold, _is_latest),
    _source_file,
    _line_number
from typed_survey__responses
where _is_latest and _problems is null;

-- stage: stage.fates [full]
-- every row read, with what decides its fate
create or replace temp view fates as
select
    'fx__rates' as entity,
    _source_file,
    _line_number,
    _problems,
    _is_latest,
    _file_over_threshold
from typed_fx__rates
union all
select
    'crm__customers' as entity,
    _source_file,
    _line_number,
    _problems,
    _is_latest,
    _file_over_threshold
from typed_crm__customers
union all
select
    'crm__interactions' as entity,
    _source_file,
    _line_number,
    _problems,
    _is_latest,
    _file_over_threshold
from typed_crm__interactions
union all
select
    'billing__invoice_lines' as entity,
    _source_file,
    _line_number,
    _problems,
    _is_latest,
    _file_over_threshold
from typed_billing__invoice_lines
union all
select
    'billing__costs' as entity,
    _source_file,
    _line_number,
    _problems,
    _is_latest,
    _file_over_threshold
from typed_billing__costs
union all
select
    'survey__responses' as entity,
    _source_file,
    _line_number,
    _problems,
    _is_latest,
    _file_over_threshold
from typed_survey__responses;

-- stage: stage.quarantine [full]
-- One row per problem of each row that is the latest version of its key, and every row of a held
-- back file with its own problems and `file_over_threshold`. DEVIATION: no raw_value column.
create or replace table staging.quarantine as
with

problems as (
    select
        entity,
        _source_file,
        _line_number,
        unnest(string_split(
            concat_ws(' ', _problems, case when _file_over_threshold then 'file_over_threshold:' end), ' '
        )) as problem
    from fates
    where (_is_latest and _problems is not null) or _file_over_threshold
)

select
    entity,
    _source_file as source_file,
    _line_number as line_number,
    nullif(split_part(problem, ':', 2), '') as column_name,
    split_part(problem, ':', 1) as reason_code
from problems;

-- stage: stage.reconciliation [full]
-- Each row's one fate per extract: loaded, deduplicated (a later version of its key won) or
-- quarantined (it is the latest version and has a problem, or its file is held back).
create or replace table staging.load_reconciliation as
select
    entity,
    count(*) as rows_read,
    count(*) filter (where _is_latest and _problems is null) as rows_loaded,
    count(*) filter (where not _is_latest and not _file_over_threshold) as rows_deduplicated,
    count(*) filter (where (_is_latest and _problems is not null) or _file_over_threshold) as rows_quarantined
from fates
group by entity
order by entity;


-- ============================================================================================
-- Core MRR step only (`--only mrr`): invoice lines and FX rates read typed, no checks, no
-- dedupe, no crosswalk; the same marts and metrics below then run on them.
-- ============================================================================================

-- stage: mrr.read_fx_rates [mrr]
create or replace table staging.stg_fx__rates as
select
    rate_date,
    currency,
    units_per_eur
from read_csv(
    getvariable('fx_file'),
    header = true, columns = { 'rate_date': 'DATE', 'currency': 'VARCHAR', 'units_per_eur': 'DECIMAL(18,6)' }
);

-- stage: mrr.read_invoice_lines [mrr, csv]
create or replace table marts.invoice_lines_keyed as
select
    invoice_id,
    line_number,
    customer_id,
    issue_date,
    service_start_date,
    service_end_date,
    product,
    net_amount,
    currency,
    billing_interval,
    document_type,
    corrected_invoice_id
from read_csv(
    getvariable('landing') || '/billing/invoice_lines*.csv',
    header = true, union_by_name = true, types = {
        'invoice_id': 'VARCHAR', 'line_number': 'INTEGER', 'customer_id': 'VARCHAR', 'issue_date': 'DATE',
        'service_start_date': 'DATE', 'service_end_date': 'DATE', 'product': 'VARCHAR', 'net_amount': 'DECIMAL(18,2)',
        'currency': 'VARCHAR', 'billing_interval': 'VARCHAR', 'document_type': 'VARCHAR',
        'corrected_invoice_id': 'VARCHAR'
    }
);

-- stage: mrr.read_invoice_lines [mrr, parquet]
create or replace table marts.invoice_lines_keyed as
select
    invoice_id::varchar as invoice_id,
    line_number::integer as line_number,
    customer_id::varchar as customer_id,
    issue_date::date as issue_date,
    service_start_date::date as service_start_date,
    service_end_date::date as service_end_date,
    product::varchar as product,
    net_amount::decimal(18, 2) as net_amount,
    currency::varchar as currency,
    billing_interval::varchar as billing_interval,
    document_type::varchar as document_type,
    corrected_invoice_id::varchar as corrected_invoice_id
from read_parquet(getvariable('landing') || '/billing/invoice_lines*.parquet', union_by_name = true);


-- ============================================================================================
-- Marts (warehouse/sql/marts): one client per valid tax id, invoice lines in EUR, revenue
-- ============================================================================================

-- stage: marts.client_crosswalk [full]
-- CRM records sharing a tax id are one client, keyed by the earliest created (ties: smallest id).
-- The tax id in EU VAT form as warehouse/identity.py writes it (separators dropped, the country's
-- prefix added unless a valid one is written, a Hungarian adószám cut to its 8-digit törzsszám).
-- DEVIATION: no check-digit validation (python-stdnum); the pipeline quarantines such clients anyway.
create or replace table marts.client_crosswalk as
with

customers as (
    select
        customer_id,
        created_date,
        upper(regexp_replace(tax_id, '[\s\p{Z}.\x{2010}-\x{2015}-]', '', 'g')) as compact,
        case left(compact, 2) when 'GR' then 'EL' else left(compact, 2) end as head,
        case country when 'GR' then 'EL' else country end as country_prefix
    from staging.stg_crm__customers
    where created_date <= getvariable('as_of')
),

split as (
    select
        customer_id,
        list_contains(getvariable('eu_vat_prefixes'), head) as has_prefix,
        case when has_prefix then head else country_prefix end as prefix,
        case when has_prefix then substr(compact, 3) else compact end as number,
        -- a doubled prefix ("HUHU…") is a typo, not an id
        has_prefix and case left(number, 2) when 'GR' then 'EL' else left(number, 2) end = prefix as is_doubled
    from customers
    where compact != ''
),

normalised as (
    select
        customer_id,
        prefix || case
            when prefix = 'HU' and regexp_full_match(number, '[0-9]{11}') then left(number, 8)
            else number
        end as tax_id_normalised
    from split
    where list_contains(getvariable('eu_vat_prefixes'), prefix) and not is_doubled
)

select
    'crm' as source_system,
    customers.customer_id as source_customer_id,
    case
        when normalised.tax_id_normalised is null then customers.customer_id
        else first_value(customers.customer_id) over (
            partition by normalised.tax_id_normalised
            order by customers.created_date, customers.customer_id
        )
    end as client_key,
    normalised.tax_id_normalised
from customers
left join normalised on customers.customer_id = normalised.customer_id;

-- stage: marts.invoice_lines_keyed [full]
create or replace view marts.invoice_lines_keyed as
select
    lines.invoice_id,
    lines.line_number,
    coalesce(crosswalk.client_key, lines.customer_id) as customer_id,
    lines.issue_date,
    lines.service_start_date,
    lines.service_end_date,
    lines.product,
    lines.quantity,
    lines.unit_price,
    lines.discount,
    lines.net_amount,
    lines.currency,
    lines.billing_interval,
    lines.document_type,
    lines.corrected_invoice_id
from staging.stg_billing__invoice_lines as lines
left join marts.client_crosswalk as crosswalk on lines.customer_id = crosswalk.source_customer_id;

-- stage: marts.fct_invoice_lines
-- marts/fct_invoice_lines.sql in EUR: a line's period (its own dates; a credit note without a
-- start takes the period of the invoice it corrects), its FX date (a credit note: the corrected
-- invoice's issue date), the latest rate on or before it if at most fx_max_age_days old.
-- Reporting in EUR needs no reporting-currency rate, so that asof join is left out.
create or replace table marts.fct_invoice_lines as
with

lines as (
    select * from marts.invoice_lines_keyed
    where issue_date <= getvariable('as_of')
),

own_periods as (
    select
        *,
        coalesce(service_start_date, issue_date) as own_start_date,
        coalesce(
            service_end_date,
            case billing_interval
                when 'month' then coalesce(service_start_date, issue_date) + interval 1 month - interval 1 day
                when 'quarter' then coalesce(service_start_date, issue_date) + interval 3 month - interval 1 day
                when 'year' then coalesce(service_start_date, issue_date) + interval 12 month - interval 1 day
                else coalesce(service_start_date, issue_date)
            end
        )::date as own_end_date
    from lines
),

corrected_periods as (
    select
        invoice_id,
        min(own_start_date) as start_date,
        max(own_end_date) as end_date,
        min(issue_date) as issue_date
    from own_periods
    group by invoice_id
),

periods as (
    select
        own_periods.*,
        case
            when own_periods.service_start_date is null and corrected_periods.invoice_id is not null
                then corrected_periods.start_date
            else own_periods.own_start_date
        end as period_start_date,
        case
            when own_periods.service_start_date is null and corrected_periods.invoice_id is not null
                then corrected_periods.end_date
            else own_periods.own_end_date
        end as period_end_date,
        coalesce(corrected_periods.issue_date, own_periods.issue_date) as fx_date
    from own_periods
    left join corrected_periods on own_periods.corrected_invoice_id = corrected_periods.invoice_id
),

with_rate as (
    select
        periods.*,
        rate.rate_date as line_rate_date,
        rate.units_per_eur as line_units_per_eur,
        periods.billing_interval != 'one_off' as is_recurring,
        (
            periods.currency = 'EUR'
            or rate.rate_date >= periods.fx_date - getvariable('fx_max_age_days')
        ) as has_fx_rate
    from periods
    asof left join staging.stg_fx__rates as rate
        on periods.currency = rate.currency and periods.fx_date >= rate.rate_date
)

select
    invoice_id,
    line_number,
    customer_id,
    issue_date,
    document_type,
    corrected_invoice_id,
    billing_interval,
    is_recurring,
    product,
    currency,
    net_amount,
    'EUR' as reporting_currency,
    fx_date,
    case when has_fx_rate and currency != 'EUR' then line_rate_date end as fx_rate_date,
    has_fx_rate,
    case when has_fx_rate then fx_to_eur(net_amount, currency, line_units_per_eur) end as amount_reporting,
    period_start_date,
    period_end_date,
    date_trunc('month', period_start_date)::date as service_start_month,
    case
        when is_recurring
            then greatest(1, round((period_end_date - period_start_date + 1) / 30.4375))::integer
        else 1
    end as service_months
from with_rate;

-- stage: marts.fct_revenue_by_customer_month
-- each line's whole cents spread over its service months, the remainder cents one each to the
-- first months; credit notes net into the months of the period they correct
create or replace table marts.fct_revenue_by_customer_month as
with

cents as (
    -- a DECIMAL(18, 2) amount in cents always fits a BIGINT (the pipeline uses HUGEINT: same values)
    select
        customer_id,
        is_recurring,
        service_months,
        service_start_month,
        (amount_reporting * 100)::bigint as total_cents,
        abs(total_cents) // service_months as base_cents,
        abs(total_cents) % service_months as remainder_cents
    from marts.fct_invoice_lines
    where has_fx_rate
),

spread as (
    select
        *,
        unnest(range(service_months)) as month_index
    from cents
),

allocated as (
    select
        customer_id,
        is_recurring,
        (service_start_month + to_months(month_index::integer))::date as revenue_month,
        sign(total_cents) * (base_cents + (month_index < remainder_cents)::bigint) as cents
    from spread
)

select
    customer_id,
    revenue_month,
    (coalesce(sum(cents) filter (where is_recurring), 0)::decimal(38, 0) * 0.01)::decimal(18, 2) as recurring_revenue,
    (coalesce(sum(cents) filter (where not is_recurring), 0)::decimal(38, 0) * 0.01)::decimal(18, 2)
        as one_off_revenue,
    'EUR' as reporting_currency
from allocated
group by customer_id, revenue_month;


-- ============================================================================================
-- Metrics (warehouse/sql/metrics) as of the reference month
-- ============================================================================================

-- stage: metrics.mrr_by_customer_month
-- active = recurring revenue > 0; first active month new; zero after active churn; a return
-- after zero months reactivation (tested before expansion/contraction); gap months have no row
create or replace table metrics.mrr_by_customer_month as
with

active_months as (
    select
        customer_id,
        revenue_month,
        recurring_revenue as mrr
    from marts.fct_revenue_by_customer_month
    where revenue_month <= getvariable('reference_month') and recurring_revenue > 0
),

customer_bounds as (
    select
        customer_id,
        min(revenue_month) as first_active_month,
        max(revenue_month) as last_active_month
    from active_months
    group by customer_id
),

spine as (
    select
        customer_id,
        first_active_month,
        unnest(generate_series(
            first_active_month,
            least(last_active_month + interval 1 month, getvariable('reference_month')),
            interval 1 month
        ))::date as revenue_month
    from customer_bounds
),

with_previous as (
    select
        spine.customer_id,
        spine.revenue_month,
        spine.revenue_month = spine.first_active_month as is_first_active_month,
        coalesce(active_months.mrr, 0)::decimal(18, 2) as mrr,
        coalesce(lag(active_months.mrr) over (
            partition by spine.customer_id order by spine.revenue_month
        ), 0)::decimal(18, 2) as previous_mrr
    from spine
    left join active_months
        on spine.customer_id = active_months.customer_id and spine.revenue_month = active_months.revenue_month
)

select
    customer_id,
    revenue_month,
    mrr,
    previous_mrr,
    mrr - previous_mrr as mrr_change,
    case
        when is_first_active_month then 'new'
        when previous_mrr = 0 and mrr > 0 then 'reactivation'
        when previous_mrr > 0 and mrr = 0 then 'churn'
        when mrr > previous_mrr then 'expansion'
        when mrr < previous_mrr then 'contraction'
        else 'retained'
    end as movement,
    mrr > 0 as is_active,
    'EUR' as reporting_currency
from with_previous
where mrr > 0 or previous_mrr > 0;

-- stage: metrics.mrr_by_month
-- the bridge: starting + new + expansion + contraction + churn + reactivation = ending
create or replace table metrics.mrr_by_month as
with

months as (
    select unnest(generate_series(
        (select min(revenue_month) from metrics.mrr_by_customer_month),
        getvariable('reference_month'),
        interval 1 month
    ))::date as revenue_month
),

totals as (
    select
        revenue_month,
        sum(mrr) as mrr,
        count(*) filter (where is_active) as active_customers,
        sum(mrr_change) filter (where movement = 'new') as new_mrr,
        sum(mrr_change) filter (where movement = 'expansion') as expansion_mrr,
        sum(mrr_change) filter (where movement = 'contraction') as contraction_mrr,
        sum(mrr_change) filter (where movement = 'churn') as churned_mrr,
        sum(mrr_change) filter (where movement = 'reactivation') as reactivation_mrr,
        count(*) filter (where movement = 'new') as new_customers,
        count(*) filter (where movement = 'churn') as churned_customers,
        count(*) filter (where movement = 'reactivation') as reactivated_customers
    from metrics.mrr_by_customer_month
    group by revenue_month
),

filled as (
    select
        months.revenue_month,
        coalesce(totals.mrr, 0)::decimal(18, 2) as ending_mrr,
        coalesce(totals.active_customers, 0) as ending_customers,
        coalesce(totals.new_mrr, 0)::decimal(18, 2) as new_mrr,
        coalesce(totals.expansion_mrr, 0)::decimal(18, 2) as expansion_mrr,
        coalesce(totals.contraction_mrr, 0)::decimal(18, 2) as contraction_mrr,
        coalesce(totals.churned_mrr, 0)::decimal(18, 2) as churned_mrr,
        coalesce(totals.reactivation_mrr, 0)::decimal(18, 2) as reactivation_mrr,
        coalesce(totals.new_customers, 0) as new_customers,
        coalesce(totals.churned_customers, 0) as churned_customers,
        coalesce(totals.reactivated_customers, 0) as reactivated_customers
    from months
    left join totals on months.revenue_month = totals.revenue_month
)

select
    revenue_month,
    coalesce(lag(ending_mrr) over (order by revenue_month), 0)::decimal(18, 2) as starting_mrr,
    new_mrr,
    expansion_mrr,
    contraction_mrr,
    churned_mrr,
    reactivation_mrr,
    ending_mrr,
    coalesce(lag(ending_customers) over (order by revenue_month), 0) as starting_customers,
    new_customers,
    reactivated_customers,
    churned_customers,
    ending_customers,
    'EUR' as reporting_currency
from filled
order by revenue_month;

-- stage: metrics.churn_by_month [full]
-- rates from the bridge; null when the start of month is zero
create or replace table metrics.churn_by_month as
select
    revenue_month,
    starting_customers,
    churned_customers,
    new_customers + reactivated_customers as acquired_customers,
    ending_customers,
    starting_mrr,
    ending_mrr,
    churned_customers / nullif(starting_customers, 0) as logo_churn_rate,
    -(churned_mrr + contraction_mrr) / nullif(starting_mrr, 0) as gross_mrr_churn_rate,
    -(churned_mrr + contraction_mrr + expansion_mrr + reactivation_mrr) / nullif(starting_mrr, 0)
        as net_mrr_churn_rate,
    (ending_customers - new_customers - reactivated_customers) / nullif(starting_customers, 0)
        as customer_retention_rate,
    (starting_mrr + expansion_mrr + contraction_mrr + churned_mrr) / nullif(starting_mrr, 0)
        as net_revenue_retention,
    (starting_mrr + contraction_mrr + churned_mrr) / nullif(starting_mrr, 0) as gross_revenue_retention,
    reporting_currency
from metrics.mrr_by_month
order by revenue_month;

-- stage: marts.fct_survey_responses [full]
-- answers submitted up to the as-of date (UTC), classified for NPS and CSAT (top box: 2)
create or replace table marts.fct_survey_responses as
select
    responses.response_id,
    coalesce(crosswalk.client_key, responses.customer_id) as customer_id,
    responses.survey_type,
    responses.score,
    responses.scale_min,
    responses.scale_max,
    responses.submitted_at,
    date_trunc('month', responses.submitted_at)::date as response_month,
    case
        when responses.survey_type != 'nps' then null
        when responses.score >= 9 then 'promoter'
        when responses.score >= 7 then 'passive'
        else 'detractor'
    end as nps_class,
    case when responses.survey_type = 'csat' then responses.score > responses.scale_max - 2 end as is_csat_top_box,
    responses.comment is not null as has_comment
from staging.stg_survey__responses as responses
left join marts.client_crosswalk as crosswalk on responses.customer_id = crosswalk.source_customer_id
where responses.submitted_at < getvariable('as_of') + interval 1 day;

-- stage: metrics.nps_by_month [full]
-- % promoters − % detractors, with the 95% margin of error 1.96 × sqrt((p + d − (p − d)²) / n)
create or replace table metrics.nps_by_month as
with

counts as (
    select
        response_month,
        count(*) as responses,
        count(*) filter (where nps_class = 'promoter') as promoters,
        count(*) filter (where nps_class = 'passive') as passives,
        count(*) filter (where nps_class = 'detractor') as detractors
    from marts.fct_survey_responses
    where survey_type = 'nps' and response_month <= getvariable('reference_month')
    group by response_month
),

shares as (
    select
        *,
        promoters / responses as promoter_share,
        detractors / responses as detractor_share
    from counts
)

select
    response_month,
    responses,
    promoters,
    passives,
    detractors,
    100 * (promoter_share - detractor_share) as nps,
    100 * 1.96 * sqrt(
        (promoter_share + detractor_share - power(promoter_share - detractor_share, 2)) / responses
    ) as nps_margin_of_error_95
from shares
order by response_month;


-- ============================================================================================
-- Validation: the staging suites of checks/gx_suites.py as one query. Per staged table and rule,
-- the number of rows that break it: row count (mandatory extracts), required values, the key's
-- uniqueness, accepted values, and every row rule of warehouse/rules.py (a rule with a missing
-- input does not apply). On tables that staging built, every count is zero.
-- ============================================================================================

-- stage: validate.staging [full]
create or replace table staging.validation as
with

fx_rates as (
    select
        count(*) = 0 as row_count__table,
        count(*) filter (where rate_date is null) as not_null__rate_date,
        count(*) filter (where currency is null) as not_null__currency,
        count(*) filter (where units_per_eur is null) as not_null__units_per_eur,
        count(*) filter (where rate_date is not null and currency is not null)
        - count(distinct row(rate_date, currency)) as unique__rate_date__currency,
        count(*) filter (where not regexp_full_match(currency, '[A-Z]{3}')) as invalid_currency__currency,
        count(*) filter (where units_per_eur <= 0) as invalid_rate__units_per_eur,
        count(*) filter (where currency = 'EUR' and units_per_eur != 1) as eur_rate_not_one__units_per_eur
    from staging.stg_fx__rates
),

customers as (
    select
        count(*) = 0 as row_count__table,
        count(*) filter (where customer_id is null) as not_null__customer_id,
        count(*) filter (where name is null) as not_null__name,
        count(*) filter (where country is null) as not_null__country,
        count(*) filter (where created_date is null) as not_null__created_date,
        count(customer_id) - count(distinct customer_id) as unique__customer_id,
        count(*) filter (where gender not in ('f', 'm', 'x')) as accepted__gender,
        count(*) filter (where not regexp_full_match(country, '[A-Z]{2}')) as invalid_country__country,
        count(*) filter (where employees < 0) as out_of_range__employees,
        count(*) filter (where birth_year < 1900 or birth_year > year(created_date)) as out_of_range__birth_year
    from staging.stg_crm__customers
),

interactions_checked as (
    select
        *,
        customer_id not in (select known.customer_id from staging.stg_crm__customers as known) as is_unknown
    from staging.stg_crm__interactions
),

interactions as (
    select
        count(*) filter (where interaction_id is null) as not_null__interaction_id,
        count(*) filter (where customer_id is null) as not_null__customer_id,
        count(*) filter (where interaction_type is null) as not_null__interaction_type,
        count(*) filter (where occurred_at is null) as not_null__occurred_at,
        count(interaction_id) - count(distinct interaction_id) as unique__interaction_id,
        count(*) filter (where interaction_type not in ('meeting', 'call', 'email', 'other'))
            as accepted__interaction_type,
        count(*) filter (where is_unknown) as unknown_customer__customer_id
    from interactions_checked
),

lines_checked as (
    select
        lines.*,
        lines.customer_id not in (select known.customer_id from staging.stg_crm__customers as known) as is_unknown,
        lines.currency != 'EUR' and regexp_full_match(lines.currency, '[A-Z]{3}')
        and coalesce(rate.rate_date < lines.issue_date - getvariable('fx_max_age_days'), true) as has_no_rate
    from staging.stg_billing__invoice_lines as lines
    asof left join staging.stg_fx__rates as rate
        on lines.currency = rate.currency and lines.issue_date >= rate.rate_date
),

invoice_lines as (
    select
        count(*) = 0 as row_count__table,
        count(*) filter (where invoice_id is null) as not_null__invoice_id,
        count(*) filter (where line_number is null) as not_null__line_number,
        count(*) filter (where customer_id is null) as not_null__customer_id,
        count(*) filter (where issue_date is null) as not_null__issue_date,
        count(*) filter (where net_amount is null) as not_null__net_amount,
        count(*) filter (where currency is null) as not_null__currency,
        count(*) filter (where billing_interval is null) as not_null__billing_interval,
        count(*) filter (where document_type is null) as not_null__document_type,
        count(*) filter (where invoice_id is not null and line_number is not null)
        - count(distinct row(invoice_id, line_number)) as unique__invoice_id__line_number,
        count(*) filter (where billing_interval not in ('month', 'quarter', 'year', 'one_off'))
            as accepted__billing_interval,
        count(*) filter (where document_type not in ('invoice', 'credit_note')) as accepted__document_type,
        count(*) filter (where is_unknown) as unknown_customer__customer_id,
        count(*) filter (where not regexp_full_match(currency, '[A-Z]{3}')) as invalid_currency__currency,
        count(*) filter (where has_no_rate) as no_fx_rate__currency,
        count(*) filter (where document_type = 'credit_note' and net_amount > 0) as credit_note_positive__net_amount,
        count(*) filter (where service_end_date < service_start_date) as period_reversed__service_end_date,
        count(*) filter (where line_number < 1) as out_of_range__line_number
    from lines_checked
),

costs_checked as (
    select
        costs.*,
        costs.customer_id not in (select known.customer_id from staging.stg_crm__customers as known) as is_unknown,
        costs.currency != 'EUR' and regexp_full_match(costs.currency, '[A-Z]{3}')
        and coalesce(rate.rate_date < costs.cost_month - getvariable('fx_max_age_days'), true) as has_no_rate
    from staging.stg_billing__costs as costs
    asof left join staging.stg_fx__rates as rate
        on costs.currency = rate.currency and costs.cost_month >= rate.rate_date
),

costs as (
    select
        count(*) filter (where customer_id is null) as not_null__customer_id,
        count(*) filter (where cost_month is null) as not_null__cost_month,
        count(*) filter (where amount is null) as not_null__amount,
        count(*) filter (where currency is null) as not_null__currency,
        count(*) filter (where customer_id is not null and cost_month is not null)
        - count(distinct row(customer_id, cost_month)) as unique__customer_id__cost_month,
        count(*) filter (where is_unknown) as unknown_customer__customer_id,
        count(*) filter (where not regexp_full_match(currency, '[A-Z]{3}')) as invalid_currency__currency,
        count(*) filter (where has_no_rate) as no_fx_rate__currency,
        count(*) filter (where amount < 0) as out_of_range__amount,
        count(*) filter (where day(cost_month) != 1) as not_month_start__cost_month
    from costs_checked
),

responses_checked as (
    select
        *,
        customer_id not in (select known.customer_id from staging.stg_crm__customers as known) as is_unknown
    from staging.stg_survey__responses
),

responses as (
    select
        count(*) filter (where response_id is null) as not_null__response_id,
        count(*) filter (where customer_id is null) as not_null__customer_id,
        count(*) filter (where survey_type is null) as not_null__survey_type,
        count(*) filter (where score is null) as not_null__score,
        count(*) filter (where scale_min is null) as not_null__scale_min,
        count(*) filter (where scale_max is null) as not_null__scale_max,
        count(*) filter (where submitted_at is null) as not_null__submitted_at,
        count(response_id) - count(distinct response_id) as unique__response_id,
        count(*) filter (where survey_type not in ('nps', 'csat', 'ces')) as accepted__survey_type,
        count(*) filter (where is_unknown) as unknown_customer__customer_id,
        count(*) filter (where scale_max <= scale_min) as invalid_scale__scale_max,
        count(*) filter (where survey_type = 'nps' and (scale_min != 0 or scale_max != 10)) as nps_scale__scale_max,
        count(*) filter (where score < scale_min or score > scale_max) as score_out_of_scale__score
    from responses_checked
)

select
    'stg_fx__rates' as table_name,
    rule,
    violations
from (unpivot (select columns(*)::bigint from fx_rates) on columns(*) into name rule value violations)
union all
select
    'stg_crm__customers' as table_name,
    rule,
    violations
from (unpivot (select columns(*)::bigint from customers) on columns(*) into name rule value violations)
union all
select
    'stg_crm__interactions' as table_name,
    rule,
    violations
from (unpivot (select columns(*)::bigint from interactions) on columns(*) into name rule value violations)
union all
select
    'stg_billing__invoice_lines' as table_name,
    rule,
    violations
from (unpivot (select columns(*)::bigint from invoice_lines) on columns(*) into name rule value violations)
union all
select
    'stg_billing__costs' as table_name,
    rule,
    violations
from (unpivot (select columns(*)::bigint from costs) on columns(*) into name rule value violations)
union all
select
    'stg_survey__responses' as table_name,
    rule,
    violations
from (unpivot (select columns(*)::bigint from responses) on columns(*) into name rule value violations);
