"""Stage: one page at a time — fetch (robots.txt first), extract text/links/contacts, classify its type."""
