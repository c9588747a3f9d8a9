"""The `REVIEWQA_*` environment variables (and `SUBJQA_DIR`, `ES_URL`), read by pydantic-settings.

`EnvironmentSettings` declares one field per variable, named by its alias; pydantic-settings reads
and parses them (whole numbers, finite numbers, paths). `read_environment` turns them into the flat
override names of `qa.config.Settings`, which then checks every value in one place. A value that
does not parse is one DataError naming the variable.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import EnvSettingsSource

from qa.errors import DataError


def _env(name: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name))


class EnvironmentSettings(BaseSettings):
    """Every environment variable reviewqa reads; the field names are Settings' flat override names."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    data_dir: str | None = _env("REVIEWQA_DATA_DIR")
    subjqa_dir: str | None = _env("SUBJQA_DIR")
    device: str | None = _env("REVIEWQA_DEVICE")
    store_backend: str | None = _env("REVIEWQA_STORE_BACKEND")
    es_url: str | None = _env("ES_URL")
    retriever: str | None = _env("REVIEWQA_RETRIEVER")
    embedding_model: str | None = _env("REVIEWQA_EMBEDDING_MODEL")
    dpr_query_model: str | None = _env("REVIEWQA_DPR_QUERY_MODEL")
    dpr_document_model: str | None = _env("REVIEWQA_DPR_DOCUMENT_MODEL")
    hybrid_bm25_weight: float | None = _env("REVIEWQA_HYBRID_BM25_WEIGHT")
    reranker: str | None = _env("REVIEWQA_RERANKER")
    rerank_candidates: int | None = _env("REVIEWQA_RERANK_CANDIDATES")
    reader_model: str | None = _env("REVIEWQA_READER")
    reader_no_answer_boost: float | None = _env("REVIEWQA_NO_ANSWER_BOOST")
    reader_precision: str | None = _env("REVIEWQA_READER_PRECISION")
    reader_similarity_model: str | None = _env("REVIEWQA_SIMILARITY_MODEL")
    generator_model: str | None = _env("REVIEWQA_GENERATOR_MODEL")
    sentiment_model: str | None = _env("REVIEWQA_SENTIMENT_MODEL")
    ner_model: str | None = _env("REVIEWQA_NER_MODEL")
    summary_model: str | None = _env("REVIEWQA_SUMMARY_MODEL")
    translation_model: str | None = _env("REVIEWQA_TRANSLATION_MODEL")
    sas_model: str | None = _env("REVIEWQA_SAS_MODEL")
    api_host: str | None = _env("REVIEWQA_API_HOST")
    api_port: int | None = _env("REVIEWQA_API_PORT")
    api_key: str | None = Field(default=None, validation_alias=AliasChoices("REVIEWQA_API_KEY"), repr=False)
    api_workers: int | None = _env("REVIEWQA_API_WORKERS")
    api_queue: int | None = _env("REVIEWQA_API_QUEUE")
    api_retry_after: int | None = _env("REVIEWQA_API_RETRY_AFTER")
    api_max_body_bytes: int | None = _env("REVIEWQA_API_MAX_BODY_BYTES")
    api_max_upload_bytes: int | None = _env("REVIEWQA_API_MAX_UPLOAD_BYTES")

    @field_validator("reader_no_answer_boost", "hybrid_bm25_weight")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("not finite")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The given mapping (see read_environment) when there is one, else the process environment; no .env file."""
        return (init_settings,)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ.

    `_load_env_vars` is the hook pydantic-settings' own dotenv source overrides for the same purpose;
    it lets tests and callers pass an environment without touching the process's.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = dict(environ)
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return self._environ


#: What a variable must hold, by pydantic's error type, for the one-line message.
_EXPECTED = {"int_parsing": "a whole number", "float_parsing": "a number", "value_error": "a finite number"}


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The set variables of `environ` (default: os.environ) as flat Settings overrides.

    :param environ: the variables to read.
    :raises DataError: a variable that does not parse, or a path variable that is set but empty.
    """
    environ = os.environ if environ is None else environ
    try:
        values = _MappingSource(EnvironmentSettings, environ)()
        parsed = EnvironmentSettings(**values)
    except ValidationError as error:
        raise DataError(_message(error, environ)) from None
    overrides: dict[str, Any] = parsed.model_dump(exclude_none=True)
    for name in ("data_dir", "subjqa_dir"):
        variable = _alias(name)
        if variable in environ and not environ[variable].strip():
            raise DataError(f"{variable} is set but empty: unset it or name a folder.")
        if name in overrides:
            overrides[name] = Path(overrides[name]).expanduser()
    if "api_key" in overrides and not overrides["api_key"]:
        del overrides["api_key"]  # set but empty = not set
    return overrides


#: Variables whose values never go into a record of a run: a secret, and a URL that can carry credentials.
_NOT_RECORDED = frozenset({"REVIEWQA_API_KEY", "ES_URL"})


def recorded_variables(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables of `EnvironmentSettings` set in `environ`, as they are, for the record of a run.

    A result file's command is only reproducible with the variables that changed its settings
    (`REVIEWQA_NO_ANSWER_BOOST=-1000 reviewqa eval reader ...`); the API key and `ES_URL` are left out.

    :param environ: the variables to read (default: os.environ).
    :returns: variable name -> value, in `EnvironmentSettings`' order.
    """
    environ = os.environ if environ is None else environ
    names = (_alias(name) for name in EnvironmentSettings.model_fields)
    return {name: environ[name] for name in names if name in environ and name not in _NOT_RECORDED}


def _alias(name: str) -> str:
    alias = EnvironmentSettings.model_fields[name].validation_alias
    assert isinstance(alias, AliasChoices)  # every field is declared with _env()
    return str(alias.choices[0])


def _message(error: ValidationError, environ: Mapping[str, str]) -> str:
    first = error.errors()[0]
    name = str(first["loc"][0])
    variable = _alias(name) if name in EnvironmentSettings.model_fields else name
    expected = _EXPECTED.get(first["type"], "valid")
    return f"{variable} must be {expected}, not {environ.get(variable)!r}."
