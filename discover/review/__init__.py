"""Review in the browser: approve or reject prospects, correct their type, and let the tool learn.

    queue.py   the cards (a prospect with its evidence, contact and doubts), least certain first
    app.py     the Starlette app: one Jinja2 page, a JSON API, the security rules (CSP, CSRF, hosts)
    server.py  `serve(...)`: bind loopback, print the URL, open the browser, run uvicorn
    static/, templates/   the page's script, style and template, served from the package

Decisions are written to the ledger (`discover.outreach.ledger`), so they hold across runs and every
shortlist, export and push honours them; type corrections there are the labelled examples
`discover train` learns from. The web stack (starlette, jinja2, uvicorn) is the optional extra
`review`: `pip install 'discover-prospects[review]'`.
"""
