"""Stage: outreach — the ledger of contacts, the shortlist, exports to CRMs, webhook push, HTML report."""
