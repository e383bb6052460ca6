"""Stage: link health and site quality — outbound link checks, site audits, quality signals, link-graph authority."""
