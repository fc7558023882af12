"""The rows of a claim: ``config.rows``, a nested ConfigDict of the fields each row sets.

    c.rows = rows.rows(("T100", {"T": 100}), ("T500", {"T": 500, "title": "T = 500"}))

A row's config is the claim's config with the row's fields set (``--config.rows.T500.T=600`` changes
one row). ``title`` is how figures call the row (default: its id). A top-level override of a field
that a row sets itself would be shadowed silently, so it is an error that says how to override it.
"""

from __future__ import annotations

import dataclasses

import ml_collections

from experiments import common

__all__ = ["Row", "models_of", "pairs", "rows", "rows_of", "wanted"]

RESERVED = ("title",)  # keys of a row that are not config fields


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of a claim's table: its id (run directory, table key), title and config."""

    id: str
    title: str
    config: ml_collections.ConfigDict  # the claim's config with the row's fields set, no ``rows``
    fields: tuple[str, ...]  # the fields this row sets


def rows(*items: tuple[str, dict]) -> ml_collections.ConfigDict:
    """``config.rows`` from (id, {field: value}) pairs, in this order."""
    out = ml_collections.ConfigDict(sort_keys=False)
    for row_id, fields in items:
        out[row_id] = ml_collections.ConfigDict(dict(fields), sort_keys=False)
    return out


def models_of(c) -> list[str]:
    """The models a row trains, from its ``models`` field ("lstm1997,rnn_tanh")."""
    return common.items(c, "models")


def wanted(config) -> list[str]:
    """``config.only_rows`` as a list ("" = every row)."""
    return common.items(config, "only_rows")


def pairs(config) -> list[tuple[str, ...]]:
    """``config.compare`` ("a:b,c:d": rows whose times until success are compared) as tuples."""
    return [tuple(x.strip() for x in p.split(":")) for p in common.items(config, "compare")]


def _same_type(like, value) -> bool:
    if isinstance(like, bool) or isinstance(value, bool):
        return isinstance(like, bool) and isinstance(value, bool)
    if isinstance(like, float):
        return isinstance(value, int | float)
    return isinstance(value, type(like))


def _row_config(config, row_id: str, spec) -> tuple[ml_collections.ConfigDict, tuple[str, ...]]:
    where = f"config.rows.{row_id}"
    if not isinstance(spec, ml_collections.ConfigDict):
        raise ValueError(f"{where}={spec!r}: must be a dict of field values")
    plain = {k: v for k, v in config.to_dict().items() if k != "rows"}
    fields = []
    for name, value in spec.items():
        if name in RESERVED:
            continue
        if name not in plain:
            raise ValueError(f"{where}.{name}: no such config field")
        if not _same_type(plain[name], value):
            kind = type(plain[name]).__name__
            raise ValueError(f"{where}.{name}={value!r}: must be a {kind}, like config.{name}")
        plain[name] = value
        fields.append(name)
    return ml_collections.ConfigDict(plain), tuple(fields)


def rows_of(config, validate, overridden=()) -> list[Row]:
    """Every row of ``config``, validated before any compute.

    Args:
      config: a claim config with a ``rows`` ConfigDict.
      validate: ``(row config) -> None``, the protocol's checks (one-line ValueErrors).
      overridden: the names overridden on the command line (``config_flags.get_override_values``),
        e.g. {"T", "rows.T100.lr"}: a top-level one that a row sets is an error.
    Raises:
      ValueError: one line naming the field and the row.
    """
    if not isinstance(config.get("rows"), ml_collections.ConfigDict) or not config.rows:
        raise ValueError(f"config.rows={config.get('rows')!r}: must name at least one row")
    top = {name for name in overridden if "." not in name}
    out = []
    for row_id, spec in config.rows.items():
        c, fields = _row_config(config, row_id, spec)
        for name in sorted(top & set(fields)):
            raise ValueError(
                f"--config.{name}={config[name]!r}: row {row_id!r} sets {name} itself; "
                f"override it there with --config.rows.{row_id}.{name}=..."
            )
        try:
            validate(c)
        except ValueError as err:
            raise ValueError(f"{err} (row {row_id!r})") from None
        title = spec.get("title", row_id)
        out.append(Row(row_id, str(title), c, fields))
    for pair in pairs(config):
        if len(pair) != 2 or not set(pair) <= {r.id for r in out}:
            raise ValueError(
                f"config.compare={config.compare!r}: must be pairs 'row:row' of rows of "
                f"{config.claim}; known: {[r.id for r in out]}"
            )
    if config.reference_row and config.reference_row not in {r.id for r in out}:
        raise ValueError(
            f"config.reference_row={config.reference_row!r}: must be '' or a row of "
            f"{config.claim}; known: {[r.id for r in out]}"
        )
    known = {r.id for r in out} | {f"{r.id}@{m}" for r in out for m in models_of(r.config)}
    for name in wanted(config):
        if name not in known:
            raise ValueError(
                f"config.only_rows: {name!r} is no row (or row@model) of {config.claim}; "
                f"known: {sorted(known)}"
            )
    return out
