"""The offline web: a web directory (see docs/web-dir.md) served under its real host names.

    world.py      load a web directory, answer (host, path) → Response per the contract
    server.py     a real HTTP server on loopback that serves a World by Host header
    transport.py  an httpx transport that sends every world host to that server
    engine.py     the local search engine over a world (BM25, footprint operators, captcha mode)
    generate.py   generate large synthetic worlds for benchmarks (`discover gen-web`)
"""
