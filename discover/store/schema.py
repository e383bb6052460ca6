"""Tables of the store (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Times are epoch seconds (float) so TTL checks are one comparison on every backend; JSON
columns use `sa.JSON` (TEXT on SQLite, JSON on PostgreSQL). Tables are created by the
ordered functions in `migrations.py`, never by `metadata.create_all` directly, so that an
older database and a fresh one end at the same version.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.Float, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("keyword", sa.Text, nullable=False),
    sa.Column("geo", sa.Text, nullable=False, default=""),
    sa.Column("types", sa.JSON, nullable=False, default=list),
    sa.Column("settings", sa.JSON, nullable=False, default=dict),
    sa.Column("status", sa.String(20), nullable=False, default="running"),  # running|finished|interrupted|failed
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("summary", sa.JSON, nullable=False, default=dict),
    sa.Index("ix_runs_keyword_geo", "keyword", "geo"),
)

queries = sa.Table(
    "queries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("engine", sa.String(40), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("type", sa.String(40), nullable=False, default=""),
    sa.Column("footprint", sa.String(200), nullable=False, default=""),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("cached", sa.Boolean, nullable=False, default=False),
    sa.Column("results", sa.Integer, nullable=False, default=0),
    sa.Column("pages_read", sa.Integer, nullable=False, default=0),
    sa.Column("elapsed_s", sa.Float, nullable=False, default=0.0),
    sa.Column("query", sa.JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("run_id", "engine", "text", name="uq_queries_run_engine_text"),
)

serp_results = sa.Table(
    "serp_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("engine", sa.String(40), nullable=False),
    sa.Column("page", sa.Integer, nullable=False, default=1),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False, default=0),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("snippet", sa.Text, nullable=False, default=""),
    sa.Index("ix_serp_results_run", "run_id", "engine", "query"),
)

pages = sa.Table(
    "pages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
    sa.Column("final_url", sa.Text, nullable=False, default=""),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("content_type", sa.Text, nullable=False, default=""),
    sa.Column("encoding", sa.String(40), nullable=False, default=""),
    sa.Column("path", sa.String(20), nullable=False, default="static"),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("redirects", sa.JSON, nullable=False, default=list),
    sa.Column("headers", sa.JSON, nullable=False, default=dict),
    sa.Column("elapsed_s", sa.Float, nullable=False, default=0.0),
    sa.Column("fetched_at", sa.Float, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, default=""),
    sa.Column("html_z", sa.LargeBinary),          # zlib-compressed UTF-8 HTML
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("extraction", sa.JSON),
    sa.Column("classification", sa.JSON),
)

sites = sa.Table(
    "sites", metadata,
    sa.Column("domain", sa.String(255), primary_key=True),
    sa.Column("score", sa.Float, nullable=False, default=0.0),
    sa.Column("spam", sa.Boolean, nullable=False, default=False),
    sa.Column("authority", sa.Float, nullable=False, default=0.0),
    sa.Column("quality", sa.JSON, nullable=False, default=dict),
    sa.Column("updated_at", sa.Float, nullable=False),
)

links = sa.Table(
    "links", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("page", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("anchor", sa.Text, nullable=False, default=""),
    sa.Column("rel", sa.String(200), nullable=False, default=""),
    sa.Column("position", sa.String(20), nullable=False, default="content"),
    sa.Column("internal", sa.Boolean, nullable=False, default=False),
    sa.Column("cls", sa.String(30)),
    sa.Column("status", sa.Integer),
    sa.Column("chain", sa.JSON),
    sa.Column("final_url", sa.Text, nullable=False, default=""),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("wayback", sa.Text, nullable=False, default=""),
    sa.Column("checked_at", sa.Float),
    sa.Index("ix_links_page", "page"),
)

contacts = sa.Table(
    "contacts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("page", sa.Text, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("label", sa.String(60), nullable=False, default=""),
    sa.Column("name", sa.Text, nullable=False, default=""),
    sa.Column("source_url", sa.Text, nullable=False, default=""),
    sa.Index("ix_contacts_domain", "domain"),
    sa.Index("ix_contacts_page", "page"),
)

prospects = sa.Table(
    "prospects", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE")),
    sa.Column("niche", sa.Text, nullable=False, default=""),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("canonical_url", sa.Text, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("relevance", sa.Float, nullable=False, default=0.0),
    sa.Column("geo_tier", sa.String(30), nullable=False, default="unknown"),
    sa.Column("quality", sa.Float, nullable=False, default=0.0),
    sa.Column("spam", sa.Boolean, nullable=False, default=False),
    sa.Column("explanation", sa.JSON, nullable=False, default=dict),
    sa.Column("other_urls", sa.JSON, nullable=False, default=list),
    sa.Column("data", sa.JSON, nullable=False),   # the whole Prospect record
    sa.Column("updated_at", sa.Float, nullable=False),
    # One prospect per site per niche (per run): the dedup key of save_prospects.
    sa.UniqueConstraint("run_id", "niche", "domain", name="uq_prospects_run_niche_domain"),
    sa.Index("ix_prospects_niche", "niche"),
)

outreach = sa.Table(
    "outreach", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("email", sa.Text, nullable=False, default=""),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_outreach_domain", "domain", "at"),
)

suppression = sa.Table(
    "suppression", metadata,
    sa.Column("value", sa.String(320), primary_key=True),   # a domain or an email address, lower case
    sa.Column("kind", sa.String(10), nullable=False),       # domain | email
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("added_at", sa.Float, nullable=False),
    sa.Index("ix_suppression_domain", "domain"),
)

footprint_stats = sa.Table(
    "footprint_stats", metadata,
    sa.Column("footprint", sa.String(200), primary_key=True),
    sa.Column("engine", sa.String(40), primary_key=True),
    sa.Column("queries", sa.Integer, nullable=False, default=0),
    sa.Column("results", sa.Integer, nullable=False, default=0),
    sa.Column("good", sa.Integer, nullable=False, default=0),
    sa.Column("updated_at", sa.Float, nullable=False),
)

serp_cache = sa.Table(
    "serp_cache", metadata,
    sa.Column("engine", sa.String(40), primary_key=True),
    sa.Column("query", sa.Text, primary_key=True),
    sa.Column("page", sa.Integer, primary_key=True),
    sa.Column("results", sa.JSON, nullable=False),
    sa.Column("fetched_at", sa.Float, nullable=False),
)

# Added by migration 2: the webhook outbox.
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("key", sa.String(64), primary_key=True),       # sha256(niche|domain|url)
    sa.Column("run_id", sa.Integer),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, default="pending"),   # pending | sent | withheld
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("sent_at", sa.Float),
    sa.Index("ix_outbox_status", "status"),
)

# Added by migration 4: the type a person says a page is (review's `t`): the labelled examples
# `discover train` learns from. Approvals and rejections are outreach events.
page_labels = sa.Table(
    "page_labels", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("domain", sa.String(255), nullable=False),
    sa.Column("niche", sa.Text, nullable=False, default=""),      # the niche it was reviewed in
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("was", sa.String(40), nullable=False, default=""),  # the type the tool gave
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_page_labels_url", "url"),
)

# Added by migration 4 too: a thumbnail of a page as the browser rendered it when it was fetched.
screenshots = sa.Table(
    "screenshots", metadata,
    sa.Column("url", sa.Text, primary_key=True),      # the page's URL as in pages.url
    sa.Column("image", sa.LargeBinary, nullable=False),
    sa.Column("media_type", sa.String(40), nullable=False, default="image/jpeg"),
    sa.Column("taken_at", sa.Float, nullable=False),
)

# Added by migration 5: results of the distributed executor's tasks, one row per (run, stage,
# key) — the idempotency key that makes a redelivered task a no-op (discover/scale/).
task_results = sa.Table(
    "task_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),   # sha256 of the key: URLs can be long
    sa.Column("key", sa.Text, nullable=False),               # the query text or URL, for people
    sa.Column("status", sa.String(10), nullable=False),      # done | failed
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.JSON),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    sa.Column("worker", sa.String(200), nullable=False, default=""),
    sa.Column("elapsed_s", sa.Float, nullable=False, default=0.0),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("run_id", "stage", "key_hash", name="uq_task_results_run_stage_key"),
)

# Added by migration 5: facts about the database itself (its `instance_id`, which names the
# queue its distributed runs use, so a worker on another database never takes their tasks).
store_meta = sa.Table(
    "store_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

V1_TABLES = (runs, queries, serp_results, pages, sites, links, contacts, prospects, outreach,
             suppression, footprint_stats, serp_cache)
