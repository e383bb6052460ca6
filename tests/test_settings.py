"""Settings precedence: defaults < config file < DISCOVER_* env < flags; bad values are clear errors."""

from __future__ import annotations

import pytest

from discover.errors import ConfigError
from discover.settings import Settings, load_settings


def test_precedence(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('timeout = 3.5\npages = 2\nengine = "bing"\n[weights]\nrelevance = 0.7\n')
    s = load_settings(config_file=cfg, env={})
    assert (s.timeout, s.pages, s.engine, s.weights_relevance) == (3.5, 2, "bing", 0.7)
    s = load_settings(config_file=cfg, env={"DISCOVER_PAGES": "4", "DISCOVER_HEADED": "yes"})
    assert s.pages == 4 and s.headed is True and s.timeout == 3.5
    s = load_settings({"pages": 5, "timeout": None}, config_file=cfg, env={"DISCOVER_PAGES": "4"})
    assert s.pages == 5 and s.timeout == 3.5
    assert Settings().pages == 1


def test_bad_values_are_config_errors(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("no_such_key = 1\n")
    with pytest.raises(ConfigError, match="unknown setting 'no_such_key'"):
        load_settings(config_file=cfg, env={})
    cfg.write_text("timeout = [\n")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(config_file=cfg, env={})
    with pytest.raises(ConfigError, match="DISCOVER_PAGES: pages must be a int"):
        load_settings(env={"DISCOVER_PAGES": "many"}, config_file=tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="per_host_concurrency"):
        load_settings({"concurrency": 1, "per_host_concurrency": 2}, env={}, config_file=tmp_path / "none.toml")


def test_engine_default_depends_on_world(tmp_path):
    assert Settings().engines() == ["duckduckgo"]
    assert Settings(web="x").engines() == ["local"]
    assert Settings(engine="ddg, bing").engines() == ["ddg", "bing"]
    assert Settings(db=str(tmp_path / "x.db")).db_url() == "sqlite:///" + str(tmp_path / "x.db")
    assert Settings(db="postgresql://u@h/db").db_url() == "postgresql://u@h/db"
