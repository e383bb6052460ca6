"""`discover place TEXT`: how a --geo value resolves, so it can be checked before a long run."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from discover.cli.app import app
from discover.cli.common import JsonOpt, console, print_json

_PRECISION_WORDS = {
    "exact": "the postcode itself",
    "postcode_district": "its postcode district (a few streets to a small town)",
    "city": "the town",
    "postcode_area": "a wide postcode area",
    "region": "the region only",
    "country": "the country only",
}


def place_json(text: str) -> dict[str, Any]:
    """How `text` resolves, as the JSON document `discover place --json` prints."""
    from discover.rank.geo import parse_place

    p = parse_place(text)
    return {
        "input": " ".join(text.split()), "name": p.name, "label": p.label, "city": p.city,
        "region": p.region, "region_code": p.region_code, "country": p.country_code,
        "lat": p.lat, "lon": p.lon, "kind": p.kind, "precision": p.precision,
        "postcode": p.postcode, "population": p.population, "alternatives": list(p.alternatives),
    }


@app.command("place")
def place_cmd(
    text: Annotated[str, typer.Argument(
        help='A place as --geo takes it: "Saskatoon, SK", "Leeds, W Yorks", "S7K 1H1", "LS1", "78701", "2000".')],
    as_json: JsonOpt = False,
) -> None:
    """Show how a place resolves offline (town, region, country, coordinates, precision) and what
    else it could mean. Unknown names get "did you mean" suggestions (exit 2)."""
    data = place_json(text)
    if as_json:
        print_json(data)
        return
    from rich.markup import escape

    c = console()
    c.print(f"[bold]{escape(data['label'])}[/bold]  ({data['kind']})")
    from discover.rank.postcodes import GB_NATIONS

    code = GB_NATIONS.get(data["region_code"], data["region_code"]) if data["country"] == "GB" else data["region_code"]
    rows = [("name", data["name"]), ("region", f"{data['region']} ({code})"
                                      if code and code != data["region"] else data["region"]),
            ("country", data["country"]), ("postcode", data["postcode"])]
    if data["lat"] is not None and data["lon"] is not None:
        rows.append(("lat, lon", f"{data['lat']:.4f}, {data['lon']:.4f}"))
    rows.append(("precision", f"{data['precision']}: {_PRECISION_WORDS.get(data['precision'], '')}"))
    if data["population"]:
        rows.append(("population", f"{data['population']:,}"))
    for key, value in rows:
        if value:
            c.print(f"  {key:<11}{escape(str(value))}")
    if data["alternatives"]:
        c.print(f"  {'also':<11}" + "; ".join(escape(a) for a in data["alternatives"]))
