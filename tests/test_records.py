"""Closed sets are StrEnums: a member is its string everywhere output is written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from discover.records import (
    FETCH_OUTCOMES, GEO_TIERS, LINK_CLASSES, PROSPECT_TYPES, QUERY_OUTCOMES, WANTED_TYPES, FetchOutcome, GeoTier,
    LedgerStatus, LinkCheck, LinkClass, Prospect, ProspectType,
)


def test_members_write_as_their_values() -> None:
    p = Prospect(url="http://a.com/", domain="a.com", type=ProspectType.GUEST_POST, score=0.5,
                 geo_tier=GeoTier.SAME_CITY, ledger_status=LedgerStatus.CONTACTED)
    plain = Prospect(url="http://a.com/", domain="a.com", type="guest_post", score=0.5,
                     geo_tier="same_city", ledger_status="contacted")
    assert json.dumps(p.to_json()) == json.dumps(plain.to_json())
    assert json.dumps({GeoTier.NEARBY: [LinkClass.SOFT_404]}) == '{"nearby": ["soft_404"]}'
    buf = io.StringIO()
    csv.writer(buf).writerow([p.type, p.geo_tier, FetchOutcome.DNS_ERROR])
    assert buf.getvalue() == "guest_post,same_city,dns_error\r\n"
    assert f"{p.type} {p.geo_tier}" == "guest_post same_city" and str(p.type) == "guest_post"
    assert LinkCheck(page="", url="u", cls=LinkClass.BROKEN).to_json()["class"] == "broken"


def test_members_equal_and_hash_like_the_strings_read_back() -> None:
    assert ProspectType.FORUM == "forum" and {"forum": 1}[ProspectType.FORUM] == 1
    assert "spam" not in WANTED_TYPES and "other" not in WANTED_TYPES and len(WANTED_TYPES) == 7
    assert [str(t) for t in PROSPECT_TYPES] == ["forum", "directory", "haro", "resource", "guest_post", "blog",
                                                "news", "spam", "other"]
    assert [str(o) for o in QUERY_OUTCOMES] == ["ok", "no_results", "blocked", "operator_ignored", "error"]
    assert len(FETCH_OUTCOMES) == 12 and len(LINK_CLASSES) == 10 and GEO_TIERS[-1] == "unknown"


def test_store_round_trip_gives_members_back(tmp_path: Path) -> None:
    from discover.store import Store

    with Store.open(str(tmp_path / "r.sqlite")) as store:
        run = store.start_run("k")
        store.save_prospects(run, [Prospect(url="http://a.com/", domain="a.com", type=ProspectType.HARO,
                                            score=0.4, geo_tier=GeoTier.NEARBY, niche="k")])
        with store.engine.connect() as conn:
            row = conn.exec_driver_sql("select type, geo_tier from prospects").one()
        assert tuple(row) == ("haro", "nearby")
        (p,) = store.prospects(run_id=run)
        assert p.type is ProspectType.HARO and p.geo_tier is GeoTier.NEARBY


def test_records_cross_processes_as_json_with_their_bytes():
    """Tasks travel as JSON: a fetched page's screenshot (bytes) must come back byte for byte."""
    import json

    import pytest

    from discover.codec import from_json, to_json
    from discover.records import FetchOutcome, FetchResult

    shot = bytes(range(256)) + b"\xff\xd8jpeg"
    fr = FetchResult(url="http://a.example/", outcome=FetchOutcome.OK, screenshot=shot)
    back = from_json(FetchResult, json.loads(json.dumps(to_json(fr))))
    assert back.screenshot == shot and back.url == fr.url and back.outcome is FetchOutcome.OK
    assert from_json(FetchResult, json.loads(json.dumps(to_json(FetchResult(url="u", outcome=FetchOutcome.OK))))).screenshot == b""
    with pytest.raises(TypeError):
        from_json(bytes, "not base64!")
