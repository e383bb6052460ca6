"""Board crawl over a real local WorldServer: list pages → request pages, pagination, field parsing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from discover.haro.boards import BoardCrawl, classify_links, crawl_boards
from discover.runtime import Runtime

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
HOST = "www.sourcerequests.example"


def list_page(items: list[tuple[str, str]], nxt: str = "", numbered: str = "") -> str:
    lis = "".join(f'<li class="request-item"><a href="{href}">{title}</a></li>' for href, title in items)
    pager = (f'<a rel="next" href="{nxt}">Next »</a>' if nxt else "") + numbered
    return (f"<html><body><nav><a href='/'>Home</a> <a href='/about.html'>About</a> <a href='/login'>Log in</a></nav>"
            f"<h1>Latest requests</h1><ul>{lis}</ul><div class='pagination'>{pager}</div></body></html>")


def request_dl(title: str, outlet: str, deadline: str, email: str) -> str:
    return (f"<html><body><h1>{title}</h1><dl><dt>Media Outlet</dt><dd>{outlet}</dd><dt>Journalist</dt>"
            f"<dd>Jane Holloway</dd><dt>Category</dt><dd>Lifestyle</dd><dt>Deadline</dt><dd>{deadline}</dd></dl>"
            f"<div class='description'><p>I'm writing about {title.lower()} and need local experts.</p></div>"
            f"<p><a href='mailto:{email}'>Respond to this request</a></p></body></html>")


def request_table(title: str) -> str:
    return (f"<html><body><header><span class='title'>Source Requests</span></header><h1>{title}</h1>"
            "<table><tr><th>Outlet</th><td>Yorkshire Evening Post</td></tr>"
            "<tr><th>Deadline:</th><td>Friday 5pm BST</td></tr>"
            "<tr><th>Requirements</th><td>Groomers in Leeds only.</td></tr></table>"
            "<p class='reply-link'><a href='/respond/77'>Pitch the journalist</a></p></body></html>")


def request_classes(title: str) -> str:
    return (f"<html><body><article><h2 class='query-title'>{title}</h2>"
            "<span class='outlet'>Plant Based Weekly</span><span class='reporter'>Ana Lima</span>"
            "<time class='deadline'>Deadline: 23 November 12:00 GMT</time>"
            "<div class='details'>Looking for bakers who replace eggs and butter in holiday recipes.</div>"
            "<p>Reply: ana@plantbased.example</p></article></body></html>")


def board_world(make_world):
    files = {
        "index.html": list_page([("/requests/101-maternity-wear-after-birth", "Maternity wear"),
                                 ("/requests/102-winter-dog-grooming", "Dog grooming")], nxt="/page/2"),
        "page/2.html": list_page([("/requests/103-vegan-baking-swaps", "Vegan baking"),
                                  ("/requests/104-old-expired-one", "Old one")], nxt="/page/3"),
        "page/3.html": list_page([("/requests/105-tax-tips-for-freelancers", "Tax")]),
        "requests/101-maternity-wear-after-birth.html": request_dl(
            "Maternity wear moms keep after birth", "Des Moines Register", "5:00 PM CST - 23 November",
            "query-101@sourcerequests.example"),
        "requests/102-winter-dog-grooming.html": request_table("Winter dog grooming tips"),
        "requests/103-vegan-baking-swaps.html": request_classes("Vegan baking swaps"),
        "requests/104-old-expired-one.html": request_dl("Old request", "Garden Monthly", "1 November 2026 9am ET",
                                                        "old@sourcerequests.example"),
        "requests/105-tax-tips-for-freelancers.html": request_dl("Tax tips", "Money Daily", "EOD Tuesday",
                                                                 "tax@sourcerequests.example"),
        "about.html": "<html><body><h1>About</h1><p>Deadline: none. Email: hi@sourcerequests.example</p></body></html>",
    }
    return make_world({HOST: files})


def crawl(settings, urls, **kw):
    state = BoardCrawl()

    async def go():
        async with Runtime(settings) as runtime:
            return await crawl_boards(runtime, urls, now=NOW, crawl=state, **kw)

    return asyncio.run(go()), state


def test_crawl_follows_pagination_and_parses_each_layout(make_world, settings_for):
    web = board_world(make_world)
    queries, state = crawl(settings_for(web), [f"http://{HOST}/"])
    by = {q.source.rsplit("/", 1)[-1]: q for q in queries}
    assert set(by) == {"101-maternity-wear-after-birth", "102-winter-dog-grooming", "103-vegan-baking-swaps",
                       "105-tax-tips-for-freelancers"}            # 104 expired, about/login not requests
    assert state.pages_fetched == 8 and state.failures == []   # 3 list pages + 5 requests
    dl = by["101-maternity-wear-after-birth"]
    assert dl.source == f"http://{HOST}/requests/101-maternity-wear-after-birth"
    assert (dl.summary, dl.outlet, dl.journalist, dl.category) == (
        "Maternity wear moms keep after birth", "Des Moines Register", "Jane Holloway", "Lifestyle")
    assert dl.deadline == datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc)
    assert dl.reply_to == "query-101@sourcerequests.example" and dl.origin == "board"
    assert "need local experts" in dl.details
    table = by["102-winter-dog-grooming"]
    assert (table.summary, table.outlet, table.requirements) == (
        "Winter dog grooming tips", "Yorkshire Evening Post", "Groomers in Leeds only.")
    assert table.reply_to == f"http://{HOST}/respond/77"
    assert table.deadline.isoformat() == "2026-11-20T17:00:00+01:00" and table.urgent
    cls = by["103-vegan-baking-swaps"]
    assert (cls.summary, cls.outlet, cls.journalist, cls.reply_to) == (
        "Vegan baking swaps", "Plant Based Weekly", "Ana Lima", "ana@plantbased.example")
    assert cls.deadline == datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
    assert cls.details.startswith("Looking for bakers")


def test_max_pages_limits_the_crawl(make_world, settings_for):
    web = board_world(make_world)
    queries, state = crawl(settings_for(web), [f"http://{HOST}/"], max_pages=3, include_expired=True)
    assert state.pages_fetched == 3
    assert len(queries) <= 2


def test_unknown_host_is_a_recorded_failure(make_world, settings_for):
    web = board_world(make_world)
    queries, state = crawl(settings_for(web), ["http://no-such-board.example/"])
    assert queries == [] and state.failures and state.failures[0][1].startswith("dns_error")


def test_classify_links():
    html = list_page([("/requests/9-a-b", "A"), ("https://other.example/requests/1-x-y", "elsewhere")],
                     nxt="/page/2", numbered="<a href='/?page=3'>3</a> <a href='/tag/pets'>pets</a>")
    requests, pages = classify_links(html, "http://b.example/")
    assert requests == ["http://b.example/requests/9-a-b"]
    assert pages == ["http://b.example/page/2", "http://b.example/?page=3"]
